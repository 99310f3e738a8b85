"""The static site: a small registry builds, every page and link is there, pages embed the
record's own graph, record text cannot run script, and rebuilds are incremental and safe."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

import site_builder.build as build_module
from registry.snapshot import load_snapshot
from site_builder.build import MANIFEST, BuildError, build
from site_builder.search_index import decode_shard, encode_shard, read_index

REPO = Path(__file__).resolve().parents[1]


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def site(small_registry: Path, tmp_path_factory) -> Path:
    """The small registry's site, built once (read-only)."""
    out = tmp_path_factory.mktemp("site") / "_site"
    build(small_registry, out)
    return out


@pytest.fixture(scope="session")
def snap(small_registry: Path):
    return load_snapshot(small_registry)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "法制处 tester", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "tester", "GIT_COMMITTER_EMAIL": "t@example.org",
                        "GIT_AUTHOR_DATE": "2024-05-06T10:00:00+08:00",
                        "GIT_COMMITTER_DATE": "2024-05-06T10:00:00+08:00", "HOME": str(root),
                        "PATH": "/usr/bin:/bin:/usr/local/bin"})


class Links(HTMLParser):
    """Every href/src of a page and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("href", "src"):
            if a.get(name):
                self.refs.append(a[name])
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "script":
            self._script, self._text = a, []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def parse_page(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def power_page(site: Path, code: str) -> Path:
    return site / "powers" / code / "index.html"


def embedded_jsonld(path: Path) -> str:
    return next(text for attrs, text in parse_page(path).scripts
                if attrs.get("type") == "application/ld+json")


# --- the built site --------------------------------------------------------------------------

def test_every_record_and_code_list_has_its_page(site: Path, snap) -> None:
    for code in snap.powers:
        assert power_page(site, code).is_file(), code
    for slug in snap.departments:
        assert (site / "departments" / slug / "index.html").is_file()
        assert (site / "departments" / slug / "feed.atom").is_file()
    for law_id in snap.laws:
        assert (site / "laws" / law_id / "index.html").is_file()
    for concept in snap.schemes["power-type"].concepts:
        assert (site / "types" / concept.key / "index.html").is_file()
    for concept in snap.schemes["exercise-level"].concepts:
        assert (site / "levels" / concept.key / "index.html").is_file()
    for page in ("index.html", "search/index.html", "data/index.html", "vocabulary/index.html",
                 "about/index.html", "changes/index.html", "changes/feed.atom", "404.html",
                 "departments/index.html", "types/index.html", "levels/index.html",
                 "laws/index.html", "sitemap.xml"):
        assert (site / page).is_file(), page


def test_each_record_is_published_in_turtle_and_json_ld_beside_its_page(site: Path, snap) -> None:
    for p in list(snap.powers.values())[:20]:
        assert (site / "powers" / f"{p.code}.ttl").read_bytes() == snap.files[p.path].data
        doc = json.loads((site / "powers" / f"{p.code}.jsonld").read_text(encoding="utf-8"))
        assert doc["@id"] == f"power:{p.code}"
        html = power_page(site, p.code).read_text(encoding="utf-8")
        assert f'<link rel="alternate" type="text/turtle" href="/powers/{p.code}.ttl"' in html
        assert f'type="application/ld+json" href="/powers/{p.code}.jsonld"' in html


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    pages = {p: parse_page(p) for p in site.rglob("*.html")}
    broken = []
    for page, parsed in pages.items():
        for ref in parsed.refs:
            if not ref.startswith("/") or ref.startswith("//"):
                continue
            path, _, fragment = ref.partition("#")
            path = path.split("?", 1)[0]
            target = site / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)} → {ref}")
            elif fragment and fragment not in pages[target].ids:
                broken.append(f"{page.relative_to(site)} → {ref} (anchor)")
    assert not broken, broken[:10]


def test_citations_link_to_the_article_on_the_laws_page(site: Path, snap) -> None:
    p = next(p for p in snap.powers.values() if p.citations and p.citations[0].article)
    c = p.citations[0]
    html = power_page(site, p.code).read_text(encoding="utf-8")
    assert f'href="/laws/{c.law}/#article-{c.article}"' in html
    law_page = (site / "laws" / c.law / "index.html").read_text(encoding="utf-8")
    section = law_page.split(f'id="article-{c.article}"', 1)[1].split("</section>", 1)[0]
    assert f"/powers/{p.code}/" in section


def test_power_page_json_ld_is_the_graph_of_its_record(site: Path, snap) -> None:
    for p in list(snap.powers.values())[:10]:
        page_graph = rdflib.Graph().parse(data=embedded_jsonld(power_page(site, p.code)),
                                          format="json-ld")
        record = rdflib.Graph().parse(data=snap.files[p.path].data, format="turtle")
        assert isomorphic(page_graph, record), p.code


def test_power_page_shows_every_field_of_the_record(site: Path, snap) -> None:
    p = max(snap.powers.values(), key=lambda p: (bool(p.tiers), len(p.citations)))
    text = power_page(site, p.code).read_text(encoding="utf-8")
    assert p.title in text and p.code in text and p.handling_unit in text
    for c in p.citations:
        assert c.quote[:20] in text
    for t in p.tiers:
        assert t.condition[:15] in text
    for r in p.responsibilities:
        assert r.description[:15] in text
    for a in p.accountability:
        assert a[:15] in text
    assert "合成样例数据" in text  # the footer says what the data is


def test_abolished_powers_get_a_tombstone_page(site: Path, snap) -> None:
    gone = [p for p in snap.powers.values() if not p.in_force]
    assert gone, "the fixture registry holds non-in-force powers"
    p = gone[0]
    html = power_page(site, p.code).read_text(encoding="utf-8")
    assert 'class="tombstone"' in html
    if p.status_decision:
        assert p.status_decision in html
    for s in p.successors:
        assert f'href="/powers/{s}/"' in html


def test_search_index_holds_every_searchable_page_with_facets_and_codes(site: Path, snap) -> None:
    meta = json.loads((site / "search-index" / "meta.json").read_text())
    assert meta["documents"] == len(snap.powers) + len(snap.departments) + len(snap.laws)
    departments = {d.name for d in snap.departments.values()}
    assert departments <= set(meta["values"]["department"])
    assert {"行政许可", "行政处罚"} <= set(meta["values"]["type"])
    terms = read_index(site)
    code, power = next(iter(sorted(snap.powers.items())))
    assert list(terms[code]) == [f"/powers/{code}/"]  # a code finds its power alone
    assert f"/powers/{code}/" in terms[code[:6]]  # and its prefix its department's powers
    title_bigram = next(t for t in (power.title[i:i + 2] for i in range(len(power.title) - 1))
                        if "\u4e00" <= t[0] <= "\u9fff" and "\u4e00" <= t[1] <= "\u9fff")
    assert f"/powers/{code}/" in terms[title_bigram]
    # a word in the title weighs more than the same word in a citation only
    assert max(terms["许可"].values()) > min(terms["许可"].values())


def test_open_data_page_lists_dumps_with_true_sizes_and_checksums(site: Path) -> None:
    html = (site / "data" / "index.html").read_text(encoding="utf-8")
    for name in ("powers.ttl.gz", "powers.nt.gz", "powers.jsonld.gz", "powers.csv.gz",
                 "powers.xlsx"):
        data = (site / "data" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() in html
        assert f'href="/data/{name}"' in html
        assert (site / "data" / name).stat().st_mode & 0o044 == 0o044  # readable by a web server
    assert not (site / "data" / "powers.nt").exists()  # the text dumps are kept compressed only
    catalog = rdflib.Graph().parse(site / "data" / "catalog.ttl", format="turtle")
    assert len(catalog) > 10
    dcat = json.loads(embedded_jsonld(site / "data" / "index.html"))
    assert rdflib.Graph().parse(data=json.dumps(dcat), format="json-ld")


def test_home_has_figures_and_charts_readable_without_javascript(site: Path, snap) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    assert f"{len(snap.in_force()):,}" in html
    assert html.count("<svg") >= 2 and 'role="img"' in html and "<table>" in html
    assert "<script" not in html.replace('<script type="application/ld+json">', "")


def test_every_page_says_the_data_is_a_synthetic_sample(site: Path) -> None:
    for page in list(site.rglob("index.html"))[:50]:
        assert "合成样例数据" in page.read_text(encoding="utf-8"), page
    about = (site / "about" / "index.html").read_text(encoding="utf-8")
    assert "合成样例数据" in about and "synthetic sample" in about


# --- safety: record text cannot run script -----------------------------------------------------

def test_script_in_a_record_field_renders_as_text(registry_copy: Path, tmp_path: Path) -> None:
    path = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))[0]
    text = path.read_text(encoding="utf-8")
    evil = '<script>alert(1)</script></script><!--'
    text = re.sub(r'dcterms:title "([^"]*)"@zh', lambda m: f'dcterms:title "{m.group(1)}{evil}"@zh',
                  text, count=1)
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "site"
    build(registry_copy, out, search=False, dumps=False)
    page = out / "powers" / path.stem / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    scripts = parse_page(page).scripts
    assert all(attrs.get("type") == "application/ld+json" for attrs, _ in scripts)
    assert evil in json.dumps(json.loads(scripts[0][1]), ensure_ascii=False)  # intact, as data


# --- rebuilds: incremental, atomic ---------------------------------------------------------------

def test_rebuild_after_one_record_changes_renders_only_affected_pages(registry_copy: Path,
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = build(registry_copy, out)
    assert first.rendered == first.pages
    paths = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))
    changed, untouched = paths[0], paths[-1]
    before = power_page(out, untouched.stem).stat().st_ino
    text = changed.read_text(encoding="utf-8")
    unit = re.search(r'pw:handlingUnit "([^"]*)"@zh', text).group(1)
    changed.write_text(text.replace(f'"{unit}"@zh', '"测试承办处"@zh', 1), encoding="utf-8")
    again = build(registry_copy, out)
    assert 1 <= again.rendered <= 6  # the power, and pages that list its department's data
    assert again.reused >= first.pages - 6
    assert "测试承办处" in power_page(out, changed.stem).read_text(encoding="utf-8")
    assert power_page(out, untouched.stem).stat().st_ino == before  # not rewritten
    noop = build(registry_copy, out)
    assert noop.rendered == 0 and noop.written == 0


def test_replaced_dumps_are_removed_after_the_build_not_during_it(registry_copy: Path,
                                                                  tmp_path: Path,
                                                                  monkeypatch) -> None:
    """The old files a rebuild replaces (the dumps, a gigabyte at 40,000 records) are set
    aside and removed by a process the build does not wait for: the site is complete when
    the build returns, and nothing is left behind beside it."""
    monkeypatch.setattr(build_module, "_BIG", 0)  # every replaced file counts as big
    out = tmp_path / "site"
    build(registry_copy, out)
    path = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace(
        'pw:handlingUnit "', 'pw:handlingUnit "另处', 1), encoding="utf-8")
    report = build(registry_copy, out)
    assert report.written > 0 and "另处" in power_page(out, path.stem).read_text(encoding="utf-8")
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert all((out / rel).is_file() for rel in manifest["outputs"])
    deadline = time.monotonic() + 20
    while any(tmp_path.glob(".site.*-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(tmp_path.glob(".site.*-*")), "staging and removal folders are gone"


def test_removed_record_loses_its_page_on_rebuild(registry_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(registry_copy, out, search=False, dumps=False)
    snap = load_snapshot(registry_copy)
    victim = next(p for p in snap.powers.values()
                  if p.code not in snap.sub_items() and not any(
                      p.code in q.successors for q in snap.powers.values()))
    (registry_copy / victim.path).unlink()
    report = build(registry_copy, out, search=False, dumps=False)
    assert report.removed >= 3  # page, .ttl, .jsonld
    assert not power_page(out, victim.code).exists()
    assert not (out / "powers" / f"{victim.code}.ttl").exists()


def test_a_failed_build_leaves_the_previous_site_untouched(registry_copy: Path, tmp_path: Path,
                                                           monkeypatch) -> None:
    out = tmp_path / "site"
    build(registry_copy, out, search=False, dumps=False)
    snapshot = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    path = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("@zh ;", "@zh ;\n", 1),
                    encoding="utf-8")  # a change, so that pages are written again

    def boom(self, out_, data):
        raise OSError("disk full")

    monkeypatch.setattr(build_module._Writer, "write", boom)
    with pytest.raises(BuildError, match="disk full"):
        build(registry_copy, out, search=False, dumps=False)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot
    assert not list(tmp_path.glob(".site.staging-*"))


def test_a_record_edited_while_the_dumps_are_written_stops_the_build(registry_copy: Path,
                                                                     tmp_path: Path,
                                                                     monkeypatch) -> None:
    """The dumps worker reads the registry itself, beside the build: if a file changes
    between its reading and the build's, the dumps would not be those of the pages, so the
    build stops and the previous site stays."""
    out = tmp_path / "site"
    build(registry_copy, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    path = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))[0]
    real_job = build_module._dumps_job

    def job_then_edit(*args):
        result = real_job(*args)
        path.write_text(path.read_text(encoding="utf-8").replace(
            'pw:handlingUnit "', 'pw:handlingUnit "改', 1), encoding="utf-8")
        return result

    monkeypatch.setattr(build_module, "_dumps_job", job_then_edit)
    with pytest.raises(BuildError, match="powers build"):
        build(registry_copy, out, jobs=0)  # in this process: the edit lands before the load
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_broken_internal_link_stops_the_build_before_writing(registry_copy: Path,
                                                                tmp_path: Path,
                                                                monkeypatch) -> None:
    from site_builder import pages

    out = tmp_path / "site"
    real = pages.nav_links
    monkeypatch.setattr(build_module, "nav_links",
                        lambda: [*real(), pages.Link("/nowhere/", "无", "Nowhere")])
    with pytest.raises(BuildError) as info:
        build(registry_copy, out, search=False, dumps=False)
    assert any("/nowhere/" in p for p in info.value.problems)
    assert not out.exists()


def test_a_rebuild_checks_the_links_of_the_pages_it_changes(registry_copy: Path,
                                                           tmp_path: Path, monkeypatch) -> None:
    from site_builder import pages

    out = tmp_path / "site"
    build(registry_copy, out, search=False, dumps=False)
    real = pages.Gatherer.about

    def about(self):
        page = real(self)
        page.links = [*page.links, pages.Link("/nowhere/", "无", "Nowhere")]
        return page

    monkeypatch.setattr(pages.Gatherer, "about", about)
    with pytest.raises(BuildError) as info:
        build(registry_copy, out, search=False, dumps=False)
    assert any("/about/ → /nowhere/" in p for p in info.value.problems)


def test_build_refuses_to_replace_a_folder_it_did_not_make(registry_copy: Path,
                                                           tmp_path: Path) -> None:
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    done = subprocess.run([sys.executable, "-m", "cli", "build", "--root", str(registry_copy),
                           "--out", str(precious), "--no-search", "--no-dumps"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert "refusing to replace" in done.stderr and "Traceback" not in done.stderr
    assert (precious / "notes.txt").read_text() == "keep me"


def test_cli_builds_the_site(registry_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "cli", "build", "--root", str(registry_copy),
                           "--out", str(out), "--no-search", "--json"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["pages"] > 100 and (out / MANIFEST).is_file()


# --- history: pages, change log, feeds -------------------------------------------------------------

def test_history_change_log_and_feeds_come_from_git(registry_copy: Path, tmp_path: Path) -> None:
    git(registry_copy, "init", "-q")
    git(registry_copy, "add", "-A")
    git(registry_copy, "commit", "-qm", "初始数据 / initial data")
    path = sorted((registry_copy / "data" / "powers" / "jiaotong").glob("*.ttl"))[0]
    text = path.read_text(encoding="utf-8")
    unit = re.search(r'pw:handlingUnit "([^"]*)"@zh', text).group(1)
    path.write_text(text.replace(f'"{unit}"@zh', '"运输执法处"@zh', 1), encoding="utf-8")
    git(registry_copy, "commit", "-qam", "调整承办机构 / change the handling unit")
    out = tmp_path / "site"
    build(registry_copy, out, search=False, dumps=False)
    page = power_page(out, path.stem).read_text(encoding="utf-8")
    history = page.split('id="history-h"', 1)[1]
    assert "调整承办机构" in history and "运输执法处" in history and unit in history
    changes = (out / "changes" / "index.html").read_text(encoding="utf-8")
    assert "调整承办机构" in changes and f"/powers/{path.stem}/" in changes
    for feed in (out / "changes" / "feed.atom", out / "departments" / "jiaotong" / "feed.atom"):
        root = ET.fromstring(feed.read_bytes())
        entries = root.findall("{http://www.w3.org/2005/Atom}entry")
        assert entries and "调整承办机构" in entries[0].find("{http://www.w3.org/2005/Atom}title").text
    # the initial import changed every file: the log names 100 of them and counts the rest
    files = len(list((registry_copy / "data").rglob("*.ttl")))
    initial = changes.split('初始数据 / initial data', 1)[1]
    assert f"{files} 项" in initial and f"另外 {files - 100} 项" in initial
    assert initial.count('<span class="badge">') == 100


def test_search_shards_decode_to_what_was_encoded() -> None:
    terms = {"道路": ([0, 3, 700, 70_000], bytes([9, 255, 1, 30])), "3301": ([5], bytes([200]))}
    assert decode_shard(encode_shard(terms, "abcdef12")) == \
        {t: (ids, w) for t, (ids, w) in terms.items()}


def test_rebuild_patches_the_index_to_what_a_full_index_holds(registry_copy: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(registry_copy, out, dumps=False)
    before = {p.relative_to(out): p.stat().st_mtime_ns
              for p in (out / "search-index").rglob("*") if p.is_file()}
    path = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))[3]
    text = path.read_text(encoding="utf-8")
    old_title = re.search(r'dcterms:title\s+"([^"]*)"@zh', text).group(1)
    path.write_text(text.replace(f'"{old_title}"@zh', '"蜂鸟养殖场登记"@zh', 1), encoding="utf-8")
    report = build(registry_copy, out, dumps=False)
    assert not report.search.full and report.search.indexed == 1
    after = {p.relative_to(out): p.stat().st_mtime_ns
             for p in (out / "search-index").rglob("*") if p.is_file()}
    rewritten = [p for p, t in after.items() if before.get(p) != t]
    assert len(rewritten) <= 2 + report.search.shards_written  # meta, fragment, some shards
    assert report.search.shards_written < report.search.shards
    patched = read_index(out)
    url = f"/powers/{path.stem}/"
    assert url in patched["蜂鸟"] and url in patched["养殖"]
    fresh = tmp_path / "fresh"
    build(registry_copy, fresh, dumps=False)
    assert read_index(fresh) == patched  # the same terms, pages and weights
    # the old title's words weigh no more than a mention in the legal basis now
    title_weight = patched["蜂鸟"][url]
    for t in (old_title[i:i + 2] for i in range(len(old_title) - 1)):
        assert patched.get(t, {}).get(url, 0) < title_weight, t


def test_a_deleted_cache_means_a_full_index_never_a_stale_one(registry_copy: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(registry_copy, out, dumps=False)
    cache = registry_copy / ".powers-cache" / "site-search.pickle"
    assert cache.exists()
    cache.unlink()
    report = build(registry_copy, out, dumps=False)
    assert report.search.full


def test_the_manifest_describes_every_file_the_builder_wrote(site: Path) -> None:
    manifest = json.loads((site / MANIFEST).read_text())
    for rel, (_key, size) in list(manifest["outputs"].items())[:200]:
        assert (site / rel).stat().st_size == size, rel


# --- the shipped data ---------------------------------------------------------------------------

@pytest.mark.corpus
def test_the_shipped_registry_builds_with_every_page_and_no_broken_link(tmp_path: Path) -> None:
    out = tmp_path / "site"
    report = build(REPO, out)  # raises BuildError on any broken internal link or anchor
    snap = load_snapshot(REPO)
    assert all(power_page(out, code).is_file() for code in snap.powers)
    assert all((out / "departments" / s / "index.html").is_file() for s in snap.departments)
    assert all((out / "laws" / i / "index.html").is_file() for i in snap.laws)
    for scheme, folder in (("power-type", "types"), ("exercise-level", "levels")):
        assert all((out / folder / c.key / "index.html").is_file()
                   for c in snap.schemes[scheme].concepts)
    assert report.search.pages == len(snap.powers) + len(snap.departments) + len(snap.laws)
    test_every_internal_link_and_anchor_resolves(out)
    # the pager of a long listing: first, last and two either side, gaps marked
    penalties = sorted((out / "types" / "02").glob("page/*/index.html"),
                       key=lambda p: int(p.parent.name))
    assert len(penalties) >= 8, "行政处罚 spans many pages"
    middle = penalties[len(penalties) // 2]
    n = int(middle.parent.name)
    pager = middle.read_text(encoding="utf-8").split('class="pagination"')[1].split("</nav>")[0]
    shown = [int(x) for x in re.findall(r">(\d+)</(?:a|span)>", pager)]
    assert shown == [1, n - 2, n - 1, n, n + 1, n + 2, len(penalties) + 1]
    assert f'<span aria-current="page">{n}</span>' in pager and pager.count("…") == 2


def test_a_listing_key_changes_with_what_its_rows_show_and_rows_wait_until_rendered(snap):
    """A listing page's key comes from the powers' summaries: it changes with a title or a
    status (and the labels), and no row is made until the page renders."""
    import dataclasses

    from site_builder.pages import RowList

    made = []
    powers = sorted(snap.powers.values(), key=lambda p: p.code)[:5]
    rows = RowList(powers, lambda p: made.append(p) or p.code, "labels")
    key = repr(rows)
    assert made == [] and len(rows) == 5
    assert repr(RowList(powers, None, "labels")) == key
    for field, value in (("title", "新名称"), ("status", "abolished"), ("department", "x")):
        changed = [dataclasses.replace(powers[0], **{field: value}), *powers[1:]]
        assert repr(RowList(changed, None, "labels")) != key, field
    assert repr(RowList(powers, None, "other labels")) != key
    assert list(rows) == [p.code for p in powers] and len(made) == 5


def test_a_pager_shows_the_first_the_last_and_its_neighbours() -> None:
    from site_builder.pages import page_window

    assert page_window(1, 1) == [1]
    assert page_window(3, 5) == [1, 2, 3, 4, 5]
    assert page_window(80, 163) == [1, None, 78, 79, 80, 81, 82, None, 163]
    assert page_window(5, 163) == [1, 2, 3, 4, 5, 6, 7, None, 163]  # no gap for one number


def _site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*")
            if p.is_file() and p.name != MANIFEST and "search-index" not in p.parts}


def test_an_incremental_build_gives_the_site_a_full_build_gives(registry_copy: Path,
                                                               tmp_path: Path) -> None:
    """After a run of commits (the titles of a sub-item and its main item, a handling unit, a merger and its successor's title, a type
    and levels, a move to another department, a cited law, a broken file, an edit made
    and reverted between two builds, a removed and an added record), the site rebuilt
    step by step — each rebuild gathering only the families the change reaches — is the
    site built from scratch after every step, file for file (histories, change log and feeds included), and
    its search index holds the same terms, pages and weights."""
    git(registry_copy, "init", "-q")
    git(registry_copy, "add", "-A")
    git(registry_copy, "commit", "-qm", "初始数据 / initial data")
    out = tmp_path / "site"
    build(registry_copy, out)
    paths = sorted((registry_copy / "data" / "powers" / "jiaotong").glob("*.ttl"))

    def edit(path: Path, old: str, new: str, commit: bool = True) -> None:
        text = path.read_text(encoding="utf-8")
        assert re.search(old, text), old
        path.write_text(re.sub(old, new, text, count=1), encoding="utf-8")
        if commit:
            git(registry_copy, "commit", "-qam", f"修改 {path.stem}")

    cache = registry_copy / ".powers-cache"
    kept_history = [cache / "site-history.pickle", cache / "site-history-records"]

    def rebuild() -> None:
        report = build(registry_copy, out)
        assert report.scoped, "a change to power records gathers only what it reaches"
        assert report.history_read == "extended"
        assert report.rendered < 60
        # the fresh build reads all of git's history: the kept one is set aside meanwhile
        aside = tmp_path / "aside"
        aside.mkdir()
        for f in kept_history:
            shutil.move(f, aside / f.name)
        fresh = tmp_path / "fresh"
        fresh_report = build(registry_copy, fresh)
        assert not fresh_report.scoped and fresh_report.history_read == "whole"
        for f in kept_history:
            shutil.rmtree(f) if f.is_dir() else f.unlink()
            shutil.move(aside / f.name, f)
        aside.rmdir()
        got, want = _site_files(out), _site_files(fresh)
        assert sorted(got) == sorted(want)
        assert [p for p in want if got[p] != want[p]] == []
        assert read_index(out) == read_index(fresh)
        assert _fragments(out) == _fragments(fresh)
        shutil.rmtree(fresh)

    edit(paths[2], r'dcterms:title\s+"[^"]*"@zh', 'dcterms:title "海豚救护站设立许可"@zh')
    rebuild()
    assert paths[0].stem.endswith("000")  # the main item of paths[2]: its sub-items show it
    edit(paths[0], r'dcterms:title\s+"[^"]*"@zh', 'dcterms:title "海豚救护站许可（总项）"@zh')
    rebuild()
    edit(paths[4], r'pw:handlingUnit "[^"]*"@zh', 'pw:handlingUnit "测试承办处"@zh')
    rebuild()
    edit(paths[6], r"pw:status status:in-force", "pw:status status:merged ;\n"
         '    pw:statusDecision "浙政发〔2024〕1号"@zh ;\n    pw:statusDate "2024-05-06"^^xsd:date ;\n'
         f"    pw:successor power:{paths[5].stem}")
    rebuild()
    edit(paths[5], r'dcterms:title\s+"[^"]*"@zh', 'dcterms:title "合并后的事项"@zh')  # a successor
    rebuild()
    edit(paths[7], r"pw:powerType ptype:\d+", "pw:powerType ptype:07", commit=False)
    edit(paths[7], r"pw:exerciseLevel [^;]+;", "pw:exerciseLevel level:1 ;")
    rebuild()
    edit(paths[8], r"pw:department dept:jiaotong", "pw:department dept:anjian")
    rebuild()
    edit(paths[9], r"pw:law law:\w+", "pw:law law:A001")
    rebuild()
    edit(paths[10], r"pw:code", "pw:code pw:code")  # no longer parses: left out
    rebuild()
    edit(paths[11], r'dcterms:title\s+"[^"]*"@zh', 'dcterms:title "临时名称"@zh')
    git(registry_copy, "revert", "--no-edit", "HEAD")  # same bytes, two more versions
    rebuild()
    snap = load_snapshot(registry_copy)
    victim = next(p for p in snap.powers.values() if p.department == "jiaotong"
                  and p.code not in snap.sub_items() and not any(
                      p.code in q.successors for q in snap.powers.values()))
    (registry_copy / victim.path).unlink()
    git(registry_copy, "commit", "-qam", f"删除 {victim.code}")
    rebuild()
    main = next(p for p in paths if p.exists() and p.stem.endswith("000"))
    new_code = main.stem[:6] + "999000"
    (main.parent / f"{new_code}.ttl").write_text(
        main.read_text(encoding="utf-8").replace(main.stem, new_code), encoding="utf-8")
    git(registry_copy, "add", "-A")
    git(registry_copy, "commit", "-qm", f"新增 {new_code}")
    rebuild()


def _fragments(site: Path) -> dict[str, dict]:
    """Page URL → what the search shows of it (title, info line, excerpt)."""
    found = {}
    for f in (site / "search-index" / "f").glob("*.json"):
        data = json.loads(f.read_text(encoding="utf-8"))
        if data.pop("k", None) and data.get("u"):  # k: the index's own token
            found[data["u"]] = data
    return found
