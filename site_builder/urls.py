"""The site's URLs: one function per kind of page, so a URL is spelt in one place.

URLs are root-relative (the site is served from the root of its host) and stable: they
are built from record identifiers only (code, slug, law id, notation), never from titles.
"""

from __future__ import annotations

HOME = "/"
SEARCH = "/search/"
DATA = "/data/"
VOCABULARY = "/vocabulary/"
ABOUT = "/about/"
CHANGES = "/changes/"
CHANGES_FEED = "/changes/feed.atom"
DEPARTMENTS = "/departments/"
TYPES = "/types/"
LEVELS = "/levels/"
LAWS = "/laws/"
NOT_FOUND = "/404.html"


def power(code: str) -> str:
    return f"/powers/{code}/"


def power_file(code: str, ext: str) -> str:
    """``/powers/330218001000.ttl``: a record's machine format, beside its page."""
    return f"/powers/{code}.{ext}"


def department(slug: str, anchor: str = "") -> str:
    return f"/departments/{slug}/" + (f"#{anchor}" if anchor else "")


def department_file(slug: str, ext: str) -> str:
    return f"/departments/{slug}.{ext}"


def department_feed(slug: str) -> str:
    return f"/departments/{slug}/feed.atom"


def power_type(notation: str, page: int = 1) -> str:
    return f"/types/{notation}/" + (f"page/{page}/" if page > 1 else "")


def level(notation: str, page: int = 1) -> str:
    return f"/levels/{notation}/" + (f"page/{page}/" if page > 1 else "")


def law(law_id: str, article: int | None = None) -> str:
    return f"/laws/{law_id}/" + (f"#{article_anchor(article)}" if article else "")


def law_file(law_id: str, ext: str) -> str:
    return f"/laws/{law_id}.{ext}"


def article_anchor(article: int | None) -> str:
    """The id of an article's section on its law's page (``article-63``)."""
    return f"article-{article}" if article else "article-none"


def vocabulary_file(name: str) -> str:
    """``/vocabulary/power-type.ttl`` (a code list) or ``/vocabulary/powers.ttl`` (ontology)."""
    return f"/vocabulary/{name}.ttl"


def data_file(filename: str) -> str:
    return f"{DATA}{filename}"


def output_path(url: str) -> str:
    """The file a URL is served from: ``/powers/1/`` → ``powers/1/index.html``."""
    path = url.split("#", 1)[0].lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path
