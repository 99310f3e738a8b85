"""Phase 1 of the build: one typed context per page, gathered from a snapshot.

Every page is a dataclass holding all its template needs, already resolved: labels,
links (``Link``), machine-format alternates and the JSON-LD text. Templates do no look-ups
of their own, so the build can check every internal link (``Page.hrefs``) before anything
is rendered, and a page's context alone decides its bytes (the render cache keys on it).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import pyoxigraph as ox

from registry import present
from registry.history import record_identity
from registry.jsonld import to_jsonld
from registry.model import Law, Power
from registry.namespaces import OWL, PREFIXES, RDF, RDFS, local_name
from registry.snapshot import Snapshot
from registry.summary import PowerSummary
from registry.turtle import parse

from . import charts, urls
from .scope import Scope
from .search_index import SearchDoc
from .search_terms import Field

#: Powers per page on type and level listings (penalties number in the thousands).
PAGE_SIZE = 200
#: Records shown per commit on the change log and in feeds (the rest are counted).
SHOWN_ITEMS = 100

SYNTHETIC_NOTICE = ("本站数据为合成样例数据，依据公开事实生成，并非官方清单。",
                    "The data on this site is a synthetic sample built from public facts; "
                    "it is not the official list.")


# --- building blocks ---------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """An internal link: root-relative ``href`` (may carry ``#fragment``) and its text."""

    href: str
    text: str
    text_en: str = ""


@dataclass(frozen=True)
class Alternate:
    """A ``<link rel="alternate">``: the page's subject in a machine format."""

    href: str
    media_type: str
    label: str


@dataclass(frozen=True)
class Facets:
    """A power's facets in the search (department, type, levels, star rating, status)."""

    department: str
    power_type: str
    levels: tuple[str, ...]
    stars: str
    status: str


@dataclass(kw_only=True)
class Page:
    """What every page has. Subclasses add their own fields and name their template."""

    template: ClassVar[str] = ""
    url: str
    title: str
    title_en: str = ""
    description: str = ""
    breadcrumbs: list[Link] = field(default_factory=list)
    jsonld: str = ""  # JSON text of the page's subject, embedded as application/ld+json
    alternates: list[Alternate] = field(default_factory=list)
    searchable: bool = False  # in the search index (``Gatherer.search_doc``)

    @property
    def output_path(self) -> str:
        return urls.output_path(self.url)

    def anchors(self) -> set[str]:
        """Element ids other pages may link to (checked like pages)."""
        return set()

    def json_ld(self) -> str:
        """The JSON-LD text embedded in the page."""
        return self.jsonld

    def take_json_ld(self) -> str:
        """The JSON-LD text for the record's ``.jsonld`` file (a power page forgets it)."""
        return self.json_ld()

    def hrefs(self) -> Iterator[str]:
        """Every internal href the page will render (found by walking its fields)."""
        yield from _hrefs(self)
        for alt in self.alternates:
            yield alt.href

    def cache_key(self) -> str:
        """A string that changes whenever the page's bytes may (with the templates)."""
        return repr(self)

    def release(self) -> None:
        """Drop what was made only to render the page (called once it is written)."""


_FIELDS: dict[type, tuple[str, ...]] = {}
_LEAVES = (str, int, float, bool, type(None))


def _hrefs(value: object) -> Iterator[str]:
    """Walk dataclasses, lists and dicts for ``Link`` objects (field names cached by type)."""
    if isinstance(value, _LEAVES):
        return
    if isinstance(value, Link):
        yield value.href
        return
    if isinstance(value, list | tuple | RowList):
        for v in value:
            yield from _hrefs(v)
        return
    if isinstance(value, dict):
        for v in value.values():
            yield from _hrefs(v)
        return
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(getattr(kind, "__dataclass_fields__", ()))
    for name in names:
        yield from _hrefs(getattr(value, name))


def jsonld_text(triples: list) -> str:
    """Compact JSON text of a JSON-LD document, its ``@context`` cut to the prefixes it uses
    (the template escapes it for ``<script>``)."""
    doc = to_jsonld(triples)
    context = doc.pop("@context")
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    used = {k: v for k, v in context.items() if f'"{k}:' in body}
    head = json.dumps({"@context": used}, ensure_ascii=False, separators=(",", ":"))
    return head[:-1] + ("," + body[1:] if len(body) > 2 else "}")


@dataclass(frozen=True)
class PowerRow:
    """A power in a listing."""

    link: Link
    code: str
    type_label: str
    department: str
    in_force: bool
    status_label: str
    note: str = ""  # e.g. the provision cited, on a law's page


class RowList(Sequence):
    """The rows of a listing page, made on first use. Its ``repr`` (part of the page's
    cache key) is a digest of what the rows show, taken from the powers' summaries: a
    rebuild gives the 163 pages of 行政处罚 at 40,000 records their keys without making
    32,000 rows, and makes rows only for the pages it renders."""

    def __init__(self, powers: list, make, labels_key: str):
        self._powers = powers
        self._make = make
        self._rows: list[PowerRow] | None = None
        digest = hashlib.blake2b(labels_key.encode(), digest_size=16)
        for p in powers:  # every field a PowerRow takes from the power (labels: above)
            digest.update(f"{p.code}\0{p.title}\0{p.title_en}\0{p.department}\0"
                          f"{p.power_type}\0{p.status}\1".encode("utf-8", "surrogatepass"))
        self.key = digest.hexdigest()

    def _made(self) -> list[PowerRow]:
        if self._rows is None:
            self._rows = [self._make(p) for p in self._powers]
        return self._rows

    def __len__(self) -> int:
        return len(self._powers)

    def __getitem__(self, i):
        return self._made()[i]

    def __iter__(self) -> Iterator[PowerRow]:
        return iter(self._made())

    def __repr__(self) -> str:
        return f"RowList({len(self._powers)}, {self.key})"


@dataclass(frozen=True)
class Pagination:
    page: int
    pages: int
    previous: Link | None
    next: Link | None
    numbers: tuple[Link | None, ...]  # None: a gap (…)


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and ``around`` either side of
    ``page``, a gap (None) where numbers are left out. (A list of 163 numbers on each page
    of 行政处罚 at 40,000 records fills a phone's screen and made each page's context
    quadratic in the number of pages.)"""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for i in shown:
        if out and i - out[-1] > 2:
            out.append(None)
        elif out and i - out[-1] == 2:
            out.append(i - 1)  # one number left out: show it rather than a gap
        out.append(i)
    return out


# --- page kinds --------------------------------------------------------------------------

@dataclass(frozen=True)
class CitationView:
    order: int
    law: Link | None  # None when the law has no record (validation reports it)
    law_level: str
    provision: str
    provision_link: Link | None
    quote: str
    raw_text: str
    cited_version: str


@dataclass(kw_only=True)
class PowerPage(Page):
    """A power's page. Its key (``cache_key``) is made of the fields given here; what only
    the rendering, the link check and the search need of the record (citations, facets,
    type and level links) is made on first use, so an unchanged power page costs little
    more than its key."""

    template: ClassVar[str] = "power.html"
    summary: PowerSummary | Power = field(repr=False, compare=False)
    gatherer: Gatherer = field(repr=False, compare=False)
    _jsonld: str | None = field(default=None, repr=False, compare=False)
    department: Link | None
    main_item: Link | None
    sub_items: list[Link]
    successors: list[Link]
    predecessors: list[Link]
    history_key: str = ""  # id of its versions (they are decoded only to render)
    history_data: bytes = field(default=b"", repr=False, compare=False)
    source_path: str
    source_key: str  # the record file's blob id and the labels' key: decides power/jsonld

    @cached_property
    def record(self) -> Power:
        """The full model (read only for a page that is rendered or indexed)."""
        return self.gatherer.snap.power_model(self.summary.code)

    @cached_property
    def type_link(self) -> Link | None:
        return self.gatherer.type_link(self.summary.power_type)

    @cached_property
    def level_links(self) -> list[Link]:
        return [lk for lv in self.summary.levels if (lk := self.gatherer.level_link(lv))]

    @cached_property
    def citations(self) -> list[CitationView]:
        return self.gatherer.citation_views(self.record)

    @cached_property
    def facets(self) -> Facets:
        return self.gatherer.facets(self.record, self.department)

    @cached_property
    def files(self) -> list[Link]:
        """Its Turtle and JSON-LD."""
        code = self.summary.code
        return [Link(urls.power_file(code, "ttl"), "Turtle"),
                Link(urls.power_file(code, "jsonld"), "JSON-LD")]

    @cached_property
    def history(self) -> list[dict]:
        """``registry.history.Version.to_dict()`` of each version, newest first."""
        return json.loads(self.history_data) if self.history_data else []

    @cached_property
    def power(self) -> dict:
        """``registry.present.power_dict``: one dict for the page and the API."""
        return self.gatherer.views.power_dict(self.record)

    def json_ld(self) -> str:
        # made once: the page embeds it and /powers/<code>.jsonld is the same text
        if self._jsonld is None:
            self._jsonld = self.gatherer.views.jsonld(self.source_path)
        return self._jsonld

    def take_json_ld(self) -> str:
        """The JSON-LD text for the record's ``.jsonld`` file, forgotten afterwards."""
        text = self.json_ld()
        self._jsonld = None
        return text

    def release(self) -> None:
        for name in ("power", "history", "citations", "facets", "level_links", "record"):
            self.__dict__.pop(name, None)
        self.gatherer.snap.forget_model(self.summary.code)

    @property
    def tombstone(self) -> bool:
        return not self.summary.in_force

    def hrefs(self) -> Iterator[str]:
        for value in (self.breadcrumbs, self.department, self.type_link, self.level_links,
                      self.main_item, self.sub_items, self.successors, self.predecessors,
                      self.citations, self.files):
            yield from _hrefs(value)
        for alt in self.alternates:
            yield alt.href

    def cache_key(self) -> str:
        # the display dict and JSON-LD are functions of ``source_key``
        return repr((self.source_key, self.url, self.breadcrumbs, self.main_item,
                     self.sub_items, self.successors, self.predecessors, self.history_key))


@dataclass(frozen=True)
class TypeGroup:
    anchor: str
    link: Link | None
    label: str
    label_en: str
    powers: tuple[PowerRow, ...]


@dataclass(kw_only=True)
class DepartmentPage(Page):
    template: ClassVar[str] = "department.html"
    department: dict
    in_force: int
    groups: list[TypeGroup]
    tombstones: list[PowerRow]
    feed: Link
    files: list[Link]

    def anchors(self) -> set[str]:
        return {g.anchor for g in self.groups}


@dataclass(frozen=True)
class DepartmentRow:
    link: Link
    name_en: str
    category: str
    code: str
    count: int


@dataclass(kw_only=True)
class DepartmentIndexPage(Page):
    template: ClassVar[str] = "departments.html"
    rows: list[DepartmentRow]


@dataclass(frozen=True)
class CountRow:
    link: Link
    count: int
    note: str = ""


@dataclass(kw_only=True)
class ConceptPage(Page):
    """A power type or an exercise level, with its powers (paginated)."""

    template: ClassVar[str] = "concept.html"
    scheme_label: str
    scheme_label_en: str
    notation: str
    definition: str
    definition_en: str
    count: int
    by_department: list[CountRow]
    powers: RowList
    pagination: Pagination | None
    vocabulary: Link
    search: Link | None


@dataclass(kw_only=True)
class ConceptIndexPage(Page):
    template: ClassVar[str] = "concepts.html"
    rows: list[CountRow]
    vocabulary: Link


@dataclass(frozen=True)
class ArticleGroup:
    anchor: str
    heading: str
    powers: tuple[PowerRow, ...]


@dataclass(kw_only=True)
class LawPage(Page):
    template: ClassVar[str] = "law.html"
    law: dict
    level_label: str
    status_label: str
    articles: list[ArticleGroup]
    count: int
    files: list[Link]

    def anchors(self) -> set[str]:
        return {a.anchor for a in self.articles}


@dataclass(frozen=True)
class LawGroup:
    label: str
    label_en: str
    laws: tuple[CountRow, ...]


@dataclass(kw_only=True)
class LawIndexPage(Page):
    template: ClassVar[str] = "laws.html"
    groups: list[LawGroup]


@dataclass(frozen=True)
class Figure:
    value: int
    label: str
    label_en: str
    link: Link | None


@dataclass(kw_only=True)
class HomePage(Page):
    template: ClassVar[str] = "home.html"
    figures: list[Figure]
    charts: list[charts.BarChart]
    browse: list[Link]
    recent: list[ChangeView]


@dataclass(frozen=True)
class FacetLabel:
    key: str
    label: str
    label_en: str


@dataclass(kw_only=True)
class SearchPage(Page):
    template: ClassVar[str] = "search.html"
    facets: list[FacetLabel]
    browse: list[Link]


@dataclass(frozen=True)
class DistributionRow:
    link: Link
    title: str
    format: str
    media_type: str
    size: int
    sha256: str
    compression: str | None = None  # "gzip" when the file is compressed
    content_size: int | None = None  # bytes once decompressed


@dataclass(kw_only=True)
class DataPage(Page):
    template: ClassVar[str] = "data.html"
    distributions: list[DistributionRow]
    catalog: list[Link]
    example: Link | None
    vocabulary_files: list[Link]


@dataclass(frozen=True)
class TermView:
    anchor: str
    curie: str
    iri: str
    kind: str
    label: str
    label_en: str
    comment: str
    comment_en: str
    refines: tuple[str, ...]


@dataclass(frozen=True)
class SchemeView:
    anchor: str
    name: str
    iri: str
    label: str
    label_en: str
    source: str
    file: Link
    concepts: tuple[dict, ...]


@dataclass(kw_only=True)
class VocabularyPage(Page):
    template: ClassVar[str] = "vocabulary.html"
    ontology_title: str
    ontology_description: str
    ontology_description_en: str
    ontology_file: Link
    terms: list[TermView]
    schemes: list[SchemeView]

    def anchors(self) -> set[str]:
        return {t.anchor for t in self.terms} | {s.anchor for s in self.schemes}


@dataclass(kw_only=True)
class AboutPage(Page):
    template: ClassVar[str] = "about.html"
    stats: dict
    links: list[Link]


@dataclass(frozen=True)
class ChangeView:
    """One commit on the change log: its records, each linked to its page."""

    anchor: str
    commit: str
    short: str
    date: str
    author: str
    message: str
    items: tuple[dict, ...]  # the first SHOWN_ITEMS: ChangedRecord.to_dict() plus "link"
    count: int = 0  # records the commit changed (an initial import: all of them)


@dataclass(kw_only=True)
class ChangesPage(Page):
    template: ClassVar[str] = "changes.html"
    changes: list[ChangeView]
    feed: Link
    available: bool  # False when the registry is not a git repository

    def anchors(self) -> set[str]:
        return {c.anchor for c in self.changes}


@dataclass(kw_only=True)
class FeedPage(Page):
    """An Atom feed of changes (the whole registry, or one department)."""

    template: ClassVar[str] = "feed.atom"
    feed_id: str
    html_url: str
    base_url: str
    updated: str
    entries: list[ChangeView]


@dataclass(kw_only=True)
class NotFoundPage(Page):
    template: ClassVar[str] = "404.html"
    browse: list[Link]


# --- gathering ---------------------------------------------------------------------------

@dataclass
class SiteData:
    """Everything the pages are made from (history and dumps are optional extras)."""

    snap: Snapshot
    base_url: str
    #: record path → (key, JSON list of Version.to_dict()), see ``pack_histories``
    histories: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    changes: list = field(default_factory=list)  # [registry.history.Change]
    history_available: bool = False
    distributions: list = field(default_factory=list)  # [registry.dumps.Distribution]
    dcat_jsonld: str = ""
    labels_key: str = ""  # id of the department, law and code-list files


#: What a page shows of a version (other fields would only make keys change needlessly:
#: ``status`` of an old version, for one, depends on what registry.history had cached).
VERSION_FIELDS = ("commit", "short", "author", "date", "message", "change", "fields")


def _packed(versions: list) -> tuple[str, bytes]:
    # JSON, not pickle: the same versions give the same bytes (and key) however they were
    # put together, read whole or extended commit by commit
    shown = []
    for v in versions:
        d = v if isinstance(v, dict) else v.to_dict()
        shown.append({k: d.get(k) for k in VERSION_FIELDS})
    data = json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha1(data).hexdigest(), data


def pack_histories(histories: dict[str, list]) -> dict[str, tuple[str, bytes]]:
    """Each record's versions (``Version`` or its dict) as (key, JSON of their dicts), so a
    build loads them all quickly and decodes only those of the pages it renders."""
    return {path: _packed(versions) for path, versions in histories.items()}


def extend_histories(packed: dict[str, tuple[str, bytes]], newer: dict[str, list]
                     ) -> dict[str, tuple[str, bytes]]:
    """``packed`` (the histories as of a commit) with the versions of the commits after it
    put in front (``registry.history.changes_since``: identity → versions, newest first).
    A record moved since is listed under its new path, as ``all_histories`` lists it."""
    out = dict(packed)
    by_identity = None
    for identity, versions in newer.items():
        if not versions:
            continue
        if by_identity is None:
            by_identity = {record_identity(p): p for p in packed}
        old_path = by_identity.get(identity)
        older = json.loads(out.pop(old_path)[1]) if old_path else []
        path = versions[0].path
        out[path] = _packed([*versions, *older])
    return out


class RecordViews:
    """A record's display dict and JSON-LD text, made only when a page is rendered (a
    rebuild renders only the pages whose key changed, so most are never made)."""

    def __init__(self, snap: Snapshot):
        self.snap = snap

    def power_dict(self, p: Power) -> dict:
        return present.power_dict(self.snap, p)

    def jsonld(self, path: str) -> str:
        src = self.snap.files.get(path)
        return jsonld_text(parse(src.data)) if src else ""


def nav_links() -> list[Link]:
    return [
        Link(urls.HOME, "首页", "Home"),
        Link(urls.SEARCH, "搜索", "Search"),
        Link(urls.DEPARTMENTS, "部门", "Departments"),
        Link(urls.TYPES, "事项类型", "Types"),
        Link(urls.LEVELS, "行使层级", "Levels"),
        Link(urls.LAWS, "法律法规", "Laws"),
        Link(urls.CHANGES, "变更", "Changes"),
        Link(urls.DATA, "开放数据", "Open data"),
        Link(urls.VOCABULARY, "词汇", "Vocabulary"),
        Link(urls.ABOUT, "关于", "About"),
    ]


HOME_CRUMB = Link(urls.HOME, "首页", "Home")


class Gatherer:
    """Builds every page context of a site from one ``SiteData``."""

    def __init__(self, data: SiteData):
        self.data = data
        self.snap = data.snap
        s = self.snap
        self.type_scheme = s.schemes.get("power-type")
        self.level_scheme = s.schemes.get("exercise-level")
        self.sub_items = s.sub_items()
        self.predecessors: dict[str, list[Power]] = defaultdict(list)
        for p in s.powers.values():
            for succ in p.successors:
                self.predecessors[succ].append(p)
        self.citing = s.powers_citing()
        self.by_department: dict[str, list[Power]] = defaultdict(list)
        for code in sorted(s.powers):
            self.by_department[s.powers[code].department].append(s.powers[code])
        self._links: dict[tuple[str, str], Link | None] = {}
        self.rows: dict[str, PowerRow] = {}
        self.views = RecordViews(s)
        self._labels: dict[tuple[str, str, str], str] = {}
        self.labels_key = data.labels_key
        self._change_views: list[ChangeView] | None = None
        self._department_changes: dict[str, list[tuple]] | None = None  # slug → (commit, items)
        self._in_force_by: dict[str, dict[str, list[Power]]] = {}

    # --- helpers --------------------------------------------------------------------
    def label(self, scheme: str, key: str, lang: str = "zh") -> str:
        found = self._labels.get((scheme, key, lang))
        if found is None:
            found = self._labels[(scheme, key, lang)] = self.snap.concept_label(scheme, key, lang)
        return found

    def power_link(self, code: str) -> Link | None:
        p = self.snap.powers.get(code)
        if p is None:
            return None
        return Link(urls.power(code), p.title, p.title_en)

    def record_link(self, kind: str, key: str) -> Link | None:
        """The page of a changed record (None when it no longer exists)."""
        if kind == "power":
            return self.power_link(key)
        if kind == "department":
            return self.department_link(key)
        if kind == "law" and key in self.snap.laws:
            law = self.snap.laws[key]
            return Link(urls.law(key), law.title, law.short_title)
        return None

    def department_link(self, slug: str, anchor: str = "") -> Link | None:
        d = self.snap.departments.get(slug)
        return Link(urls.department(slug, anchor), d.name, d.name_en) if d else None

    def type_link(self, notation: str) -> Link | None:
        return self._concept_link("power-type", self.type_scheme, notation, urls.power_type)

    def level_link(self, notation: str) -> Link | None:
        return self._concept_link("exercise-level", self.level_scheme, notation, urls.level)

    def _concept_link(self, scheme: str, sch, notation: str, url) -> Link | None:
        """The listing page of a type or level (made once per notation)."""
        key = (scheme, notation)
        if key not in self._links:
            self._links[key] = Link(url(notation), self.label(*key), self.label(*key, "en")) \
                if sch and sch.get(notation) else None
        return self._links[key]

    def row(self, p: Power, note: str = "") -> PowerRow:
        if not note and p.code in self.rows:
            return self.rows[p.code]
        dept = self.snap.departments.get(p.department)
        r = PowerRow(link=Link(urls.power(p.code), p.title, p.title_en), code=p.code,
                     type_label=self.label("power-type", p.power_type),
                     department=dept.name if dept else p.department, in_force=p.in_force,
                     status_label=self.label("status", p.status), note=note)
        if not note:
            self.rows[p.code] = r
        return r

    def record_jsonld(self, path: str) -> str:
        return self.views.jsonld(path)

    # --- all pages -------------------------------------------------------------------
    def pages(self) -> list[Page]:
        """Every page: record pages first (the search index is fed as they render)."""
        return self.record_pages() + self.history_pages() + self.dataset_pages()

    def record_pages(self, scope: Scope | None = None) -> list[Page]:
        """Pages made from the records alone (power pages get their history later): every
        one, or the site's own and those of the families in ``scope``."""
        s = self.snap

        def wanted(keys, chosen: set | None) -> list:
            return sorted(keys) if chosen is None else sorted(k for k in chosen if k in keys)

        pages: list[Page] = []
        for code in wanted(s.powers, scope and scope.powers):
            pages.append(self.power(s.powers[code]))
        for slug in wanted(s.departments, scope and scope.departments):
            pages.append(self.department(slug))
        for law_id in wanted(s.laws, scope and scope.laws):
            pages.append(self.law(s.laws[law_id]))
        pages += [self.search(), self.about(), self.vocabulary(), self.not_found()]
        pages.append(self.departments_index())
        pages.append(self.concept_index("power-type"))
        pages.append(self.concept_index("exercise-level"))
        for scheme in ("power-type", "exercise-level"):
            sch = s.schemes.get(scheme)
            for concept in sch.concepts if sch else []:
                if scope is None or (scheme, concept.key) in scope.concepts:
                    pages += self.concept_pages(scheme, concept)
        pages.append(self.laws_index())
        self._record_pages = pages
        return pages

    def searchable_page(self, url: str) -> Page:
        """The power, department or law page at ``url`` (one a scoped gather left out)."""
        kind, _, rest = url.strip("/").partition("/")
        if kind == "powers":
            return self.power(self.snap.powers[rest])
        if kind == "departments":
            return self.department(rest)
        if kind == "laws":
            return self.law(self.snap.laws[rest])
        raise KeyError(url)

    def history_pages(self, scope: Scope | None = None) -> list[Page]:
        """Attach each power's versions to its page; the change log and its feeds (of the
        departments in ``scope``, when given)."""
        for page in getattr(self, "_record_pages", []):
            if isinstance(page, PowerPage):
                entry = self.data.histories.get(page.source_path)
                if entry:
                    page.history_key, page.history_data = entry
        pages = self.changes()
        for slug in sorted(self.snap.departments):
            if scope is None or slug in scope.departments:
                pages.append(self.department_feed(slug))
        return pages

    def dataset_pages(self) -> list[Page]:
        """The pages that describe the data set: home and open data (need the dumps)."""
        return [self.home(), self.data_page()]

    # --- powers -----------------------------------------------------------------------
    def power(self, p: Power) -> PowerPage:
        s = self.snap
        dept = self.department_link(p.department)
        crumbs = [HOME_CRUMB]
        if dept:
            crumbs.append(dept)
        if p.main_item and p.main_item in s.powers:
            crumbs.append(self.power_link(p.main_item))
        type_label = self.label("power-type", p.power_type)
        dept_name = dept.text if dept else p.department
        src = s.files.get(p.path)
        return PowerPage(
            url=urls.power(p.code), title=p.title, title_en=p.title_en,
            description=f"{p.code} {type_label} · {dept_name}",
            breadcrumbs=crumbs,
            alternates=_record_alternates(urls.power_file(p.code, "ttl"),
                                          urls.power_file(p.code, "jsonld")),
            searchable=True, summary=p, gatherer=self, department=dept,
            main_item=self.power_link(p.main_item) if p.main_item else None,
            sub_items=[self.power_link(sp.code) for sp in
                       sorted(self.sub_items.get(p.code, []), key=lambda x: x.code)],
            successors=[lk for c in p.successors if (lk := self.power_link(c))],
            predecessors=[self.power_link(x.code) for x in
                          sorted(self.predecessors.get(p.code, []), key=lambda x: x.code)],
            source_path=p.path,
            source_key=f"{src.blob if src else p.code}:{self.labels_key}")

    def citation_views(self, p: Power) -> list[CitationView]:
        """A power's legal basis as its page shows it, each law linked to its page."""
        views = []
        for c in p.citations:
            law = self.snap.laws.get(c.law)
            provision = present.provision_text(c.article, c.paragraph, c.item)
            law_link = Link(urls.law(c.law), law.title, law.short_title) if law else None
            prov_link = Link(urls.law(c.law, c.article), provision or "全文") if law else None
            views.append(CitationView(
                order=c.order, law=law_link,
                law_level=self.label("law-level", law.level) if law else "",
                provision=provision, provision_link=prov_link, quote=c.quote,
                raw_text=c.raw_text, cited_version=c.cited_version or ""))
        return views

    def facets(self, p: Power, dept: Link | None) -> Facets:
        return Facets(
            department=dept.text if dept else p.department,
            power_type=self.label("power-type", p.power_type),
            levels=tuple(self.label("exercise-level", lv) for lv in p.levels),
            stars=str(p.star_rating) if p.star_rating else "",
            status=self.label("status", p.status))

    # --- what the search index holds of a page -------------------------------------------
    def search_doc(self, page: Page) -> SearchDoc:
        """The text, weights and facets of a power, department or law page for the site's
        search: names count most, then the department, type and handling unit, then the
        laws and quotes of the legal basis."""
        if isinstance(page, PowerPage):
            return self._power_doc(page)
        if isinstance(page, DepartmentPage):
            d = page.department
            return SearchDoc(
                url=page.url, kind="department", title=d["name"],
                info=" · ".join(x for x in ("实施部门 Department", d.get("category")) if x),
                # only what the department's own file says: the index entry is keyed on it
                excerpt="、".join(x for x in (d["name"], *(d.get("alt_names") or ())) if x),
                fields=[Field(d["name"], 6, "title"), Field(d.get("name_en", ""), 2),
                        Field("、".join(d.get("alt_names") or ()), 4),
                        Field(d.get("code", ""), 4, "code"), Field(d.get("credit_code", ""), 4),
                        Field(d.get("category", ""), 1)])
        if isinstance(page, LawPage):
            law = page.law
            return SearchDoc(
                url=page.url, kind="law", title=law["title"],
                info=" · ".join(x for x in (page.level_label, page.status_label) if x),
                excerpt="；".join(x for x in (law.get("document_number"), law.get("issued_by"))
                                 if x),
                fields=[Field(law["title"], 6, "title"), Field(law.get("short_title", ""), 4),
                        Field(law.get("document_number", ""), 3),
                        Field(law.get("issued_by", ""), 1), Field(page.level_label, 1)])
        raise TypeError(f"{page.url} is not searchable")

    def _power_doc(self, page: PowerPage) -> SearchDoc:
        p, f = page.record, page.facets
        dept = self.snap.departments.get(p.department)
        citations = [(c.law.text if c.law else "", c.provision, c.quote) for c in page.citations]
        unit = p.handling_unit
        excerpt = "；".join(([unit] if unit else []) +
                           [f"《{law}》{prov}：{quote}" if law else quote
                            for law, prov, quote in citations])
        fields = [Field(p.title, 6, "title"), Field(p.title_en, 2), Field(p.code, 6, "code"),
                  Field(f.department, 1.5), Field(f.power_type, 1.5), Field(unit, 1),
                  Field("、".join(dept.alt_names) if dept else "", 1),
                  Field("、".join(f.levels), 0.5), Field(f.status, 0.5),
                  Field(p.status_decision, 0.5), Field(p.fee_basis, 0.5),
                  Field("、".join(self.label("service-object", s) for s in p.service_objects), 0.5)]
        for law, _prov, quote in citations:
            fields += [Field(law, 1), Field(quote, 0.5)]
        facets = {"department": (f.department,), "type": (f.power_type,), "level": f.levels,
                  "stars": (f.stars,) if f.stars else (), "status": (f.status,)}
        return SearchDoc(url=page.url, kind="power" if p.in_force else "tombstone", title=p.title,
                         info=" · ".join(x for x in (p.code, f.power_type, f.department,
                                                     f.status) if x),
                         excerpt=excerpt[:600], fields=fields, facets=facets)

    # --- departments ---------------------------------------------------------------------
    def department(self, slug: str) -> DepartmentPage:
        s = self.snap
        dept = s.departments[slug]
        powers = self.by_department.get(slug, [])
        by_type: dict[str, list[Power]] = defaultdict(list)
        for p in powers:
            if p.in_force:
                by_type[p.power_type].append(p)
        order = [c.key for c in self.type_scheme.concepts] if self.type_scheme else []
        keys = sorted(by_type, key=lambda k: (order.index(k) if k in order else len(order), k))
        groups = [TypeGroup(anchor=f"type-{k}", link=self.type_link(k),
                            label=self.label("power-type", k),
                            label_en=self.label("power-type", k, "en"),
                            powers=tuple(self.row(p) for p in by_type[k])) for k in keys]
        tombstones = [self.row(p) for p in powers if not p.in_force]
        in_force = sum(len(g.powers) for g in groups)
        page = DepartmentPage(
            url=urls.department(slug), title=dept.name, title_en=dept.name_en,
            description=f"{dept.name}：实施中的行政权力 {in_force} 项",
            breadcrumbs=[HOME_CRUMB, Link(urls.DEPARTMENTS, "部门", "Departments")],
            jsonld=self.record_jsonld(dept.path),
            alternates=_record_alternates(urls.department_file(slug, "ttl"),
                                          urls.department_file(slug, "jsonld")) + [
                Alternate(urls.department_feed(slug), "application/atom+xml",
                          f"{dept.name} 变更 / changes")],
            searchable=True, department=dept.to_dict(), in_force=in_force, groups=groups,
            tombstones=tombstones, feed=Link(urls.department_feed(slug), "Atom 订阅", "Atom feed"),
            files=[Link(urls.department_file(slug, "ttl"), "Turtle"),
                   Link(urls.department_file(slug, "jsonld"), "JSON-LD")])
        return page

    def department_feed(self, slug: str) -> FeedPage:
        dept = self.snap.departments[slug]
        entries = self.department_changes(slug)
        feed = FeedPage(url=urls.department_feed(slug), title=f"{dept.name} 权力事项变更",
                        title_en=f"Changes to the powers of {dept.name_en or slug}",
                        feed_id=self.data.base_url.rstrip("/") + urls.department_feed(slug),
                        html_url=urls.department(slug), base_url=self.data.base_url.rstrip("/"),
                        updated=_updated(entries), entries=entries)
        return feed

    def departments_index(self) -> DepartmentIndexPage:
        s = self.snap
        counts = s.stats()["by_department"]
        rows = [DepartmentRow(link=Link(urls.department(d.slug), d.name, d.name_en),
                              name_en=d.name_en, category=d.category, code=d.code,
                              count=counts.get(d.slug, 0))
                for d in sorted(s.departments.values(), key=lambda d: (d.code, d.slug))]
        return DepartmentIndexPage(
            url=urls.DEPARTMENTS, title="实施部门", title_en="Departments",
            description=f"{len(rows)} 个省级部门及其行政权力",
            breadcrumbs=[HOME_CRUMB], rows=rows)

    # --- types and levels ------------------------------------------------------------------
    def concept_index(self, scheme: str) -> ConceptIndexPage:
        s = self.snap
        sch = s.schemes.get(scheme)
        stats = s.stats()
        counts = stats["by_type"] if scheme == "power-type" else stats["by_level"]
        make = urls.power_type if scheme == "power-type" else urls.level
        rows = [CountRow(Link(make(c.key), c.label, c.label_en), counts.get(c.key, 0),
                         c.notation) for c in (sch.concepts if sch else [])]
        url = urls.TYPES if scheme == "power-type" else urls.LEVELS
        return ConceptIndexPage(
            url=url, title=sch.label if sch else scheme, title_en=sch.label_en if sch else "",
            breadcrumbs=[HOME_CRUMB], rows=rows,
            jsonld=self.scheme_jsonld(scheme, with_concepts=False),
            alternates=[Alternate(urls.vocabulary_file(scheme), "text/turtle",
                                  "Turtle")],
            vocabulary=Link(f"{urls.VOCABULARY}#scheme-{scheme}", "词汇表", "Vocabulary"))

    def in_force_by(self, scheme: str) -> dict[str, list[Power]]:
        """Type (or exercise level) → the powers in force of it, by code; grouped once."""
        if scheme not in self._in_force_by:
            groups: dict[str, list[Power]] = defaultdict(list)
            for code in sorted(self.snap.powers):
                p = self.snap.powers[code]
                if p.in_force:
                    for key in ([p.power_type] if scheme == "power-type" else p.levels):
                        groups[key].append(p)
            self._in_force_by[scheme] = groups
        return self._in_force_by[scheme]

    def concept_pages(self, scheme: str, concept) -> list[Page]:
        s = self.snap
        sch = s.schemes[scheme]
        is_type = scheme == "power-type"
        powers = self.in_force_by(scheme).get(concept.key, [])
        by_dept: dict[str, int] = defaultdict(int)
        for p in powers:
            by_dept[p.department] += 1
        anchor = f"type-{concept.key}" if is_type else ""
        by_department = [CountRow(link, n) for slug, n in
                         sorted(by_dept.items(), key=lambda kv: (-kv[1], kv[0]))
                         if (link := self.department_link(slug, anchor))]
        make = urls.power_type if is_type else urls.level
        total_pages = max(1, -(-len(powers) // PAGE_SIZE))
        index_url = urls.TYPES if is_type else urls.LEVELS
        facet = "type" if is_type else "level"
        pages: list[Page] = []
        for n in range(1, total_pages + 1):
            chunk = powers[(n - 1) * PAGE_SIZE:n * PAGE_SIZE]
            pagination = None
            if total_pages > 1:
                pagination = Pagination(
                    page=n, pages=total_pages,
                    previous=Link(make(concept.key, n - 1), "上一页", "Previous") if n > 1 else None,
                    next=Link(make(concept.key, n + 1), "下一页", "Next") if n < total_pages else None,
                    numbers=tuple(None if i is None else Link(make(concept.key, i), str(i))
                                  for i in page_window(n, total_pages)))
            title = concept.label + (f"（第 {n} 页）" if n > 1 else "")
            pages.append(ConceptPage(
                url=make(concept.key, n), title=title, title_en=concept.label_en,
                description=concept.definition,
                breadcrumbs=[HOME_CRUMB, Link(index_url, sch.label, sch.label_en)],
                jsonld=self.concept_jsonld(scheme, concept.iri) if n == 1 else "",
                alternates=[Alternate(urls.vocabulary_file(scheme), "text/turtle", "Turtle")],
                scheme_label=sch.label, scheme_label_en=sch.label_en, notation=concept.notation,
                definition=concept.definition, definition_en=concept.definition_en,
                count=len(powers), by_department=by_department if n == 1 else [],
                powers=RowList(chunk, self.row, self.labels_key), pagination=pagination,
                vocabulary=Link(f"{urls.VOCABULARY}#scheme-{scheme}", "词汇表", "Vocabulary"),
                search=Link(f"{urls.SEARCH}?{facet}={concept.label}", "在搜索中筛选",
                            "Filter in search")))
        return pages

    def scheme_triples(self, scheme: str) -> list:
        src = self.snap.files.get(f"data/vocabularies/{scheme}.ttl")
        return parse(src.data) if src else []

    def scheme_jsonld(self, scheme: str, with_concepts: bool = True) -> str:
        triples = self.scheme_triples(scheme)
        if not with_concepts:
            sch = self.snap.schemes.get(scheme)
            triples = [t for t in triples if sch and t.subject.value == sch.iri]
        return jsonld_text(triples) if triples else ""

    def concept_jsonld(self, scheme: str, iri: str) -> str:
        triples = [t for t in self.scheme_triples(scheme) if t.subject.value == iri]
        return jsonld_text(triples) if triples else ""

    # --- laws --------------------------------------------------------------------------------
    def law(self, law: Law) -> LawPage:
        groups: dict[int | None, list[PowerRow]] = defaultdict(list)
        seen: set[tuple] = set()
        for p in self.citing.get(law.id, []):
            for c in p.citations:
                if c.law != law.id or (c.article, p.code) in seen:
                    continue
                seen.add((c.article, p.code))
                note = present.provision_text(c.article, c.paragraph, c.item)
                groups[c.article].append(self.row(p, note=note or "—"))
        articles = [ArticleGroup(anchor=urls.article_anchor(a),
                                 heading=present.provision_text(a) if a else "未注明条款",
                                 powers=tuple(groups[a]))
                    for a in sorted(groups, key=lambda a: (a is None, a or 0))]
        count = len(self.citing.get(law.id, []))
        return LawPage(
            url=urls.law(law.id), title=law.title, title_en=law.short_title,
            description=f"{law.title}：{count} 项权力以其为实施依据",
            breadcrumbs=[HOME_CRUMB, Link(urls.LAWS, "法律法规", "Laws")],
            jsonld=self.record_jsonld(law.path),
            alternates=_record_alternates(urls.law_file(law.id, "ttl"),
                                          urls.law_file(law.id, "jsonld")),
            searchable=True, law=law.to_dict(), level_label=self.label("law-level", law.level),
            status_label=self.label("law-status", law.status), articles=articles, count=count,
            files=[Link(urls.law_file(law.id, "ttl"), "Turtle"),
                   Link(urls.law_file(law.id, "jsonld"), "JSON-LD")])

    def laws_index(self) -> LawIndexPage:
        s = self.snap
        sch = s.schemes.get("law-level")
        order = [c.key for c in sch.concepts] if sch else []
        by_level: dict[str, list[Law]] = defaultdict(list)
        for law in s.laws.values():
            by_level[law.level].append(law)
        groups = []
        for level in sorted(by_level, key=lambda k: (order.index(k) if k in order else 99, k)):
            laws = sorted(by_level[level], key=lambda law: law.id)
            groups.append(LawGroup(
                label=self.label("law-level", level), label_en=self.label("law-level", level, "en"),
                laws=tuple(CountRow(Link(urls.law(law.id), law.title, law.short_title),
                                    len(self.citing.get(law.id, [])), law.document_number)
                           for law in laws)))
        return LawIndexPage(url=urls.LAWS, title="法律法规", title_en="Laws and regulations",
                            description=f"{len(s.laws)} 部法律法规及引用它们的权力",
                            breadcrumbs=[HOME_CRUMB], groups=groups)

    # --- site pages -----------------------------------------------------------------------------
    def home(self) -> HomePage:
        s = self.snap
        stats = s.stats()
        figures = [
            Figure(stats["in_force"], "项实施中的行政权力", "powers in force", Link(urls.SEARCH, "搜索", "Search")),
            Figure(stats["departments"], "个实施部门", "departments",
                   Link(urls.DEPARTMENTS, "部门", "Departments")),
            Figure(stats["laws"], "部法律法规", "laws and regulations", Link(urls.LAWS, "法律法规", "Laws")),
            Figure(stats["abolished"], "项已取消、下放或合并", "abolished, delegated or merged", None),
        ]
        type_items = [(self.label("power-type", k), self.label("power-type", k, "en"), n,
                       Link(urls.power_type(k), self.label("power-type", k)))
                      for k, n in stats["by_type"].items()]
        type_items.sort(key=lambda it: -it[2])
        dept_items = []
        for slug, n in stats["by_department"].items():
            d = s.departments.get(slug)
            if d:
                dept_items.append((d.name, d.name_en, n, Link(urls.department(slug), d.name)))
        chart_list = [
            charts.bar_chart("chart-types", "按事项类型", "Powers by type", type_items),
            charts.bar_chart("chart-departments", "按实施部门", "Powers by department", dept_items),
        ]
        browse = [Link(urls.DEPARTMENTS, "按部门浏览", "Browse by department"),
                  Link(urls.TYPES, "按事项类型浏览", "Browse by type"),
                  Link(urls.LEVELS, "按行使层级浏览", "Browse by exercise level"),
                  Link(urls.LAWS, "按法律法规浏览", "Browse by law")]
        recent = self.change_views()[:5]
        return HomePage(url=urls.HOME, title="行政权力清单", title_en="Administrative powers list",
                        description="浙江省行政权力清单（合成样例数据）：逐项查询、按部门和类型浏览、开放数据下载。",
                        jsonld=self.data.dcat_jsonld, figures=figures, charts=chart_list,
                        browse=browse, recent=recent,
                        alternates=[Alternate(urls.CHANGES_FEED, "application/atom+xml",
                                              "变更 / changes")])

    def search(self) -> SearchPage:
        return SearchPage(
            url=urls.SEARCH, title="搜索", title_en="Search", breadcrumbs=[HOME_CRUMB],
            description="全文检索行政权力事项：名称、编码、部门、法律依据。",
            facets=[FacetLabel("department", "实施部门", "Department"),
                    FacetLabel("type", "事项类型", "Type"),
                    FacetLabel("level", "行使层级", "Exercise level"),
                    FacetLabel("stars", "网上办理星级", "Online star rating"),
                    FacetLabel("status", "状态", "Status")],
            browse=[Link(urls.DEPARTMENTS, "按部门浏览", "Browse by department"),
                    Link(urls.TYPES, "按事项类型浏览", "Browse by type"),
                    Link(urls.LAWS, "按法律法规浏览", "Browse by law")])

    def about(self) -> AboutPage:
        return AboutPage(
            url=urls.ABOUT, title="关于本站", title_en="About", breadcrumbs=[HOME_CRUMB],
            description=SYNTHETIC_NOTICE[0], stats=self.snap.stats(),
            links=[Link(urls.DATA, "开放数据", "Open data"),
                   Link(urls.VOCABULARY, "词汇", "Vocabulary"),
                   Link(urls.CHANGES, "变更记录", "Change log")])

    def not_found(self) -> NotFoundPage:
        return NotFoundPage(url=urls.NOT_FOUND, title="页面不存在", title_en="Page not found",
                            browse=[Link(urls.HOME, "首页", "Home"),
                                    Link(urls.SEARCH, "搜索", "Search"),
                                    Link(urls.DEPARTMENTS, "部门", "Departments")])

    def data_page(self) -> DataPage:
        rows = [DistributionRow(link=Link(urls.data_file(d.filename), d.filename),
                                title=d.title, format=d.format, media_type=d.media_type,
                                size=d.size, sha256=d.sha256,
                                compression="gzip" if d.compression else None,
                                content_size=d.content_size)
                for d in self.data.distributions]
        catalog = []
        if self.data.dcat_jsonld:
            catalog = [Link(urls.data_file("catalog.ttl"), "catalog.ttl", "DCAT (Turtle)"),
                       Link(urls.data_file("catalog.jsonld"), "catalog.jsonld", "DCAT (JSON-LD)")]
        example = None
        if self.snap.powers:
            code = min(self.snap.powers)
            example = Link(urls.power_file(code, "ttl"), urls.power_file(code, "ttl"))
        vocab = [Link(urls.vocabulary_file("powers"), "powers.ttl", "Ontology")] + [
            Link(urls.vocabulary_file(name), f"{name}.ttl") for name in sorted(self.snap.schemes)]
        alternates = [Alternate(urls.data_file("catalog.ttl"), "text/turtle", "DCAT")] \
            if catalog else []
        return DataPage(url=urls.DATA, title="开放数据", title_en="Open data",
                        breadcrumbs=[HOME_CRUMB], description="整库下载：Turtle、N-Triples、JSON-LD、CSV、XLSX；DCAT 数据集描述。",
                        jsonld=self.data.dcat_jsonld, alternates=alternates,
                        distributions=rows, catalog=catalog, example=example,
                        vocabulary_files=vocab)

    def vocabulary(self) -> VocabularyPage:
        s = self.snap
        onto = next((f for f in s.files.values() if f.kind == "ontology"), None)
        triples = parse(onto.data) if onto else []
        table: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            table[t.subject.value][t.predicate.value].append(t.object)

        def text(values: list, lang: str) -> str:
            return next((v.value for v in values if getattr(v, "language", None) == lang), "")

        title = description = description_en = ""
        terms = []
        kinds = {OWL + "Class": "类 Class", OWL + "ObjectProperty": "对象属性 Object property",
                 OWL + "DatatypeProperty": "数据属性 Datatype property",
                 RDF + "Property": "属性 Property", OWL + "AnnotationProperty": "注释属性 Annotation property"}
        for iri, values in table.items():
            types = [o.value for o in values.get(RDF + "type", [])]
            if OWL + "Ontology" in types:
                title = text(values.get("http://purl.org/dc/terms/title", []), "zh")
                description = text(values.get("http://purl.org/dc/terms/description", []), "zh")
                description_en = text(values.get("http://purl.org/dc/terms/description", []), "en")
                continue
            kind = next((kinds[t] for t in types if t in kinds), "")
            if not kind or not iri.startswith(PREFIXES["pw"]):
                continue
            refines = tuple(sorted(_curie(o.value) for p in (RDFS + "subClassOf", RDFS + "subPropertyOf")
                                   for o in values.get(p, []) if isinstance(o, ox.NamedNode)))
            terms.append(TermView(
                anchor=f"term-{local_name(iri)}", curie=_curie(iri), iri=iri, kind=kind,
                label=text(values.get(RDFS + "label", []), "zh"),
                label_en=text(values.get(RDFS + "label", []), "en"),
                comment=text(values.get(RDFS + "comment", []), "zh"),
                comment_en=text(values.get(RDFS + "comment", []), "en"), refines=refines))
        terms.sort(key=lambda t: (not t.kind.startswith("类"), t.curie))
        schemes = []
        for name in sorted(s.schemes):
            sch = s.schemes[name]
            schemes.append(SchemeView(
                anchor=f"scheme-{name}", name=name, iri=sch.iri, label=sch.label,
                label_en=sch.label_en, source=sch.source,
                file=Link(urls.vocabulary_file(name), f"{name}.ttl"),
                concepts=tuple(c.to_dict() for c in sch.concepts)))
        return VocabularyPage(
            url=urls.VOCABULARY, title="词汇与代码表", title_en="Vocabulary and code lists",
            breadcrumbs=[HOME_CRUMB], description=description,
            jsonld=jsonld_text([t for t in triples if t.subject.value == PW_ONTOLOGY]) if triples else "",
            alternates=[Alternate(urls.vocabulary_file("powers"), "text/turtle", "Ontology (Turtle)")],
            ontology_title=title, ontology_description=description,
            ontology_description_en=description_en,
            ontology_file=Link(urls.vocabulary_file("powers"), "powers.ttl"), terms=terms,
            schemes=schemes)

    # --- changes ----------------------------------------------------------------------------------
    def change_view(self, c, items: list) -> ChangeView:
        shown = []
        for item in items[:SHOWN_ITEMS]:
            d = item.to_dict()
            d["link"] = self.record_link(d.get("kind", "power"), d["code"])
            shown.append(d)
        return ChangeView(anchor=f"commit-{c.short}", commit=c.commit, short=c.short,
                          date=c.date, author=c.author, message=c.message, items=tuple(shown),
                          count=len(items))

    def change_views(self) -> list[ChangeView]:
        if self._change_views is None:
            self._change_views = [self.change_view(c, c.items) for c in self.data.changes]
        return self._change_views

    def department_changes(self, slug: str) -> list[ChangeView]:
        """The commits that changed the department's records, each with only those (the
        views are made for the departments asked for: a rebuild asks for one or two)."""
        if self._department_changes is None:
            slugs = {d.name: slug for slug, d in self.snap.departments.items()}
            found: dict[str, list[tuple]] = defaultdict(list)
            for c in self.data.changes:
                mine: dict[str, list] = defaultdict(list)
                for item in c.items:
                    mine[slugs.get(item.department, item.department)].append(item)
                for dept, items in mine.items():
                    found[dept].append((c, items))
            self._department_changes = found
        return [self.change_view(c, items) for c, items in self._department_changes.get(slug, ())]

    def changes(self) -> list[Page]:
        views = self.change_views()
        page = ChangesPage(
            url=urls.CHANGES, title="变更记录", title_en="Change log", breadcrumbs=[HOME_CRUMB],
            description="登记库最近的变更：每次提交改了哪些事项、哪些字段。",
            alternates=[Alternate(urls.CHANGES_FEED, "application/atom+xml", "Atom")],
            changes=views, feed=Link(urls.CHANGES_FEED, "Atom 订阅", "Atom feed"),
            available=self.data.history_available)
        base = self.data.base_url.rstrip("/")
        feed = FeedPage(url=urls.CHANGES_FEED, title="行政权力清单变更", title_en="Changes to the powers list",
                        feed_id=base + urls.CHANGES_FEED, html_url=urls.CHANGES, base_url=base,
                        updated=_updated(views), entries=views)
        return [page, feed]


PW_ONTOLOGY = PREFIXES["pw"].rstrip("/")


def _curie(iri: str) -> str:
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and iri != ns:
            return f"{name}:{iri[len(ns):]}"
    return iri


def _record_alternates(ttl: str, jsonld: str) -> list[Alternate]:
    return [Alternate(ttl, "text/turtle", "Turtle"), Alternate(jsonld, "application/ld+json", "JSON-LD")]


def _updated(entries: list[ChangeView]) -> str:
    """The feed's ``<updated>``: its newest entry (a fixed date when empty, so it is stable)."""
    return max((e.date for e in entries), default="2014-06-25T00:00:00+08:00")


def gather(data: SiteData) -> list[Page]:
    """Every page of the site, in a stable order."""
    return Gatherer(data).pages()


