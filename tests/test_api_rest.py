"""REST API contract: what another system gets from /api on a small registry."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app, schemas
from registry.snapshot import load_snapshot
from search import SearchIndex


@pytest.fixture(scope="module")
def snap(small_registry: Path):
    return load_snapshot(small_registry)


@pytest.fixture(scope="module")
def client(small_registry: Path, snap):
    app = create_app(Settings(root=small_registry), snap,
                     searcher=SearchIndex.open(None, snap), sparql_enabled=False)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def code(snap) -> str:
    return next(c for c, p in sorted(snap.powers.items()) if p.in_force and p.citations)


def graph(data: bytes, fmt: ox.RdfFormat) -> set:
    """Triples with blank nodes replaced by a canonical mark, for comparing formats."""
    ds = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in
                    (q.triple for q in ox.parse(data, format=fmt)))
    ds.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in ds}


# --- one power -------------------------------------------------------------------------

def test_a_power_is_json_by_default_with_labels_and_links(client, code, snap):
    r = client.get(f"/api/powers/{code}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    data = r.json()
    assert data["code"] == code
    assert data["title"] == snap.powers[code].title
    assert data["department_name"] == snap.departments[data["department"]].name
    assert data["power_type_label"] and data["citations"][0]["law_title"]
    assert data["links"]["html"] == f"/powers/{code}/"
    schemas.Power.model_validate(data)


def test_turtle_is_the_record_file_and_every_rdf_format_holds_the_same_triples(
        client, code, snap):
    ttl = client.get(f"/api/powers/{code}", headers={"Accept": "text/turtle"})
    assert ttl.headers["content-type"] == "text/turtle; charset=utf-8"
    assert ttl.content == snap.files[snap.powers[code].path].data
    nt = client.get(f"/api/powers/{code}", headers={"Accept": "application/n-triples"})
    jsonld = client.get(f"/api/powers/{code}?format=jsonld")
    assert jsonld.headers["content-type"] == "application/ld+json"
    expected = graph(ttl.content, ox.RdfFormat.TURTLE)
    assert graph(nt.content, ox.RdfFormat.N_TRIPLES) == expected
    assert graph(jsonld.content, ox.RdfFormat.JSON_LD) == expected


def test_a_browser_is_sent_to_the_power_page(client, code):
    r = client.get(f"/api/powers/{code}", follow_redirects=False,
                   headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/powers/{code}/"


def test_an_unservable_media_type_is_406_naming_what_is_available(client, code):
    r = client.get(f"/api/powers/{code}", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.json()["error"] == "NOT_ACCEPTABLE"
    assert "text/turtle" in r.json()["message"]


def test_etag_and_last_modified_give_304(client, code):
    r = client.get(f"/api/powers/{code}")
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert client.get(f"/api/powers/{code}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"/api/powers/{code}",
                      headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(f"/api/powers/{code}",
                      headers={"If-None-Match": '"other"'}).status_code == 200
    ttl = client.get(f"/api/powers/{code}", headers={"Accept": "text/turtle"})
    assert ttl.headers["etag"] != etag  # each representation has its own validator
    assert "Accept" in r.headers["vary"]


def test_a_missing_power_is_a_json_404_with_a_stable_code(client):
    r = client.get("/api/powers/339999999999")
    assert r.status_code == 404
    assert r.json()["error"] == "POWER_NOT_FOUND"
    assert "339999999999" in r.json()["message"]


def test_a_malformed_code_is_400_before_any_lookup(client):
    for bad in ("12345", "abcdefghijkl", "3302180010000"):
        r = client.get(f"/api/powers/{bad}")
        assert r.status_code == 400, bad
        assert r.json()["error"] == "INVALID_CODE"


def test_query_parameters_take_the_documented_route_with_the_same_answer(client, code):
    fast = client.get(f"/api/powers/{code}")
    routed = client.get(f"/api/powers/{code}?format=json")
    assert routed.content == fast.content
    assert routed.headers["etag"] == fast.headers["etag"]


# --- lists -----------------------------------------------------------------------------

def test_cursor_paging_visits_every_power_in_force_once_in_code_order(client, snap):
    seen, url = [], "/api/powers?limit=7"
    while url:
        r = client.get(url)
        assert r.status_code == 200
        page = r.json()
        schemas.PowerPage.model_validate(page)
        seen += [item["code"] for item in page["items"]]
        url = page["next"]
        if url:
            assert r.headers["link"] == f'<{url}>; rel="next"'
    expected = sorted(c for c, p in snap.powers.items() if p.in_force)
    assert seen == expected
    assert page["count"] == len(expected)


def test_filters_by_department_type_level_and_status(client, snap):
    some = next(p for p in snap.powers.values() if p.in_force)
    r = client.get(f"/api/powers?department={some.department}&type={some.power_type}"
                   f"&level={some.levels[0]}&limit=1000").json()
    expected = sorted(c for c, p in snap.powers.items() if p.in_force
                      and p.department == some.department and p.power_type == some.power_type
                      and some.levels[0] in p.levels)
    assert [i["code"] for i in r["items"]] == expected
    everything = client.get("/api/powers?status=all&limit=1000").json()
    assert everything["count"] == len(snap.powers)


def test_words_filter_the_list_through_search(client, snap):
    p = next(p for p in snap.powers.values() if p.in_force)
    word = p.title[-4:]
    r = client.get("/api/powers", params={"q": word, "limit": 1000}).json()
    codes = [i["code"] for i in r["items"]]
    assert p.code in codes
    assert all(word in snap.powers[c].title or snap.powers[c].citations for c in codes)


def test_full_view_and_jsonld_lists(client, snap):
    full = client.get("/api/powers?limit=2&view=full").json()
    assert "citations" in full["items"][0]
    ld = client.get("/api/powers?limit=2", headers={"Accept": "application/ld+json"})
    assert ld.headers["content-type"] == "application/ld+json"
    doc = ld.json()
    assert "@context" in doc and len(doc["@graph"]) == 2
    triples = list(ox.parse(ld.content, format=ox.RdfFormat.JSON_LD))
    assert any(t.predicate.value.endswith("/def/code") for t in triples)


def test_bad_list_parameters_are_400(client):
    for url in ("/api/powers?limit=100000", "/api/powers?limit=0", "/api/powers?limit=abc",
                "/api/powers?cursor=not-a-cursor", "/api/powers?status=gone",
                "/api/powers?type=1", "/api/powers?department=../x"):
        r = client.get(url)
        assert r.status_code == 400, url
        assert r.json()["error"] in ("INVALID_PARAMETER", "INVALID_CURSOR"), url


# --- departments, laws, vocabularies, stats, search -----------------------------------------

def test_departments_list_and_one_department(client, snap):
    listed = client.get("/api/departments").json()
    assert {d["slug"] for d in listed} == set(snap.departments)
    slug = listed[0]["slug"]
    one = client.get(f"/api/departments/{slug}").json()
    schemas.Department.model_validate(one)
    assert one["powers"]["in_force"] == listed[0]["powers"]
    ttl = client.get(f"/api/departments/{slug}", headers={"Accept": "text/turtle"})
    assert ttl.content == snap.files[snap.departments[slug].path].data
    assert client.get("/api/departments/nosuch").json()["error"] == "DEPARTMENT_NOT_FOUND"


def test_a_law_lists_every_power_citing_it_with_the_provisions(client, snap):
    citing = snap.powers_citing()
    law_id = max(citing, key=lambda k: len(citing[k]))
    data = client.get(f"/api/laws/{law_id}").json()
    schemas.Law.model_validate(data)
    assert [p["code"] for p in data["powers"]] == [p.code for p in citing[law_id]]
    assert all(p["provisions"] for p in data["powers"])
    laws = client.get("/api/laws").json()
    assert next(x for x in laws if x["id"] == law_id)["powers"] == len(citing[law_id])
    assert client.get("/api/laws/Q999").json()["error"] == "LAW_NOT_FOUND"


def test_vocabularies_and_concepts(client):
    names = {v["name"] for v in client.get("/api/vocabularies").json()}
    assert {"power-type", "exercise-level", "status"} <= names
    types = client.get("/api/vocabularies/power-type").json()
    schemas.Vocabulary.model_validate(types)
    assert types["concepts"][0]["notation"] == "01"
    assert types["concepts"][0]["label"] == "行政许可"
    ttl = client.get("/api/vocabularies/power-type?format=ttl")
    assert b"skos:ConceptScheme" in ttl.content


def test_stats_match_the_snapshot(client, snap):
    data = client.get("/api/stats").json()
    schemas.Stats.model_validate(data)
    assert data["in_force"] == snap.stats()["in_force"]
    assert data["labels"]["by_type"]


def test_search_endpoint_ranks_highlights_and_counts_facets(client, snap):
    p = next(p for p in snap.powers.values() if p.in_force)
    word = p.title[-4:]
    r = client.get("/api/search", params={"q": word})
    assert r.status_code == 200
    data = r.json()
    schemas.SearchResult.model_validate(data)
    assert data["total"] >= 1
    assert any("<mark>" in h["highlights"].get("name", "") for h in data["hits"])
    assert sum(v["count"] for v in data["facets"]["type"]) == data["total"]
    assert client.get("/api/search", params={"q": "x" * 500}).status_code == 400


# --- cross-cutting -----------------------------------------------------------------------------

def test_cors_lets_any_site_read(client, code):
    r = client.get(f"/api/powers/{code}", headers={"Origin": "https://portal.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "ETag" in r.headers["access-control-expose-headers"]
    pre = client.options(f"/api/powers/{code}", headers={
        "Origin": "https://portal.example", "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 200


def test_head_answers_like_get_without_a_body(client, code):
    r = client.head(f"/api/powers/{code}")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["etag"] == client.get(f"/api/powers/{code}").headers["etag"]


def test_unknown_routes_and_methods_are_json_errors(client, code):
    assert client.get("/api/nothing-here").json()["error"] == "NOT_FOUND"
    r = client.delete(f"/api/powers/{code}")
    assert r.status_code == 405 and r.json()["error"] == "METHOD_NOT_ALLOWED"


def test_every_read_has_an_etag(client, code):
    for url in ("/api/powers", "/api/departments", "/api/laws", "/api/vocabularies",
                "/api/stats", "/api/search?q=许可", f"/api/powers/{code}"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers.get("etag"), url
        assert client.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_the_openapi_document_is_valid_and_documents_every_route(client):
    from openapi_spec_validator import validate

    spec = client.get("/api/openapi.json").json()
    validate(spec)
    paths = set(spec["paths"])
    assert {"/api/powers", "/api/powers/{code}", "/api/departments", "/api/laws/{law_id}",
            "/api/search", "/api/stats", "/sparql"} <= paths
    assert client.get("/api/docs").status_code == 200


def test_the_site_and_its_data_dumps_are_served_beside_the_api(small_registry, snap, code,
                                                               tmp_path):
    site = tmp_path / "site"
    (site / "powers" / code).mkdir(parents=True)
    (site / "data").mkdir()
    (site / "index.html").write_text("<!doctype html><title>首页</title>", encoding="utf-8")
    (site / "404.html").write_text("<!doctype html><title>页面不存在</title>", encoding="utf-8")
    (site / "powers" / code / "index.html").write_text("power page", encoding="utf-8")
    triples = b"".join(f"<urn:a{n}> <urn:b> \"事项 {n}\" .\n".encode() for n in range(50_000))
    # the site keeps its text dumps as gzip files of several members
    members = [gzip.compress(triples[i:i + 300_000], mtime=0)
               for i in range(0, len(triples), 300_000)]
    (site / "data" / "powers.nt.gz").write_bytes(b"".join(members))
    (site / "data" / "powers.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    app = create_app(Settings(root=small_registry, site_dir=site), snap, sparql_enabled=False)
    with TestClient(app) as c:
        assert "首页" in c.get("/").text
        assert c.get(f"/api/powers/{code}", headers={"Accept": "text/html"}).text == "power page"
        # the file as published: a download, never labelled with its inner type
        download = c.get("/data/powers.nt.gz", headers={"Accept-Encoding": "gzip"})
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/gzip"
        assert "content-encoding" not in download.headers
        assert download.content == b"".join(members)
        # the plain name: every member decompressed by the server as it sends
        plain = c.get("/data/powers.nt", headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == 200 and "content-encoding" not in plain.headers
        assert plain.headers["content-type"] == "application/n-triples; charset=utf-8"
        assert plain.content == triples
        again = c.get("/data/powers.nt", headers={"If-None-Match": plain.headers["etag"]})
        assert again.status_code == 304
        head = c.head("/data/powers.nt")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"].startswith("application/n-triples")
        assert "content-length" not in head.headers  # unknown, not zero
        assert c.get("/data/powers.xlsx").headers["content-type"].startswith(
            "application/vnd.openxmlformats")
        missing = c.get("/data/powers.ttl")  # no such file, compressed or not
        assert missing.status_code == 404 and "页面不存在" in missing.text
        # a dump cut short breaks off: the client never takes it for a whole file
        (site / "data" / "cut.nt.gz").write_bytes(b"".join(members)[:-5000])
        with pytest.raises(Exception):  # noqa: B017 (the transport's error, whichever)
            c.get("/data/cut.nt")
        assert c.get("/api/stats").status_code == 200
        assert c.get("/no/such/page/").status_code == 404


# --- history and ?at= ----------------------------------------------------------------------

def _git(root: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="Tester", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="Tester", GIT_COMMITTER_EMAIL="t@example.org")
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def versioned(tmp_path_factory, small_registry: Path):
    """A registry in git with two commits; the second renames one power."""
    import shutil

    root = tmp_path_factory.mktemp("versioned") / "registry"
    shutil.copytree(small_registry, root, ignore=shutil.ignore_patterns(".powers-cache"))
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "初始数据 / initial data")
    _git(root, "tag", "v1")
    snap = load_snapshot(root)
    p = next(p for c, p in sorted(snap.powers.items()) if p.in_force)
    path = root / p.path
    path.write_text(path.read_text(encoding="utf-8").replace(p.title, p.title + "（修订）"),
                    encoding="utf-8")
    _git(root, "commit", "-q", "-am", "修改名称 / rename a power")
    app = create_app(Settings(root=root), sparql_enabled=False)
    with TestClient(app) as c:
        yield c, p


def test_history_of_a_power_lists_its_versions_newest_first(versioned):
    c, p = versioned
    versions = c.get(f"/api/powers/{p.code}/history").json()
    assert len(versions) == 2
    assert versions[0]["message"].startswith("修改名称")
    assert any(f["field"] == "title" for f in versions[0]["fields"])
    schemas.Version.model_validate(versions[0])
    missing = c.get("/api/powers/339999999999/history")
    assert missing.status_code == 404 and missing.json()["error"] == "POWER_NOT_FOUND"


def test_at_reads_the_registry_as_it_stood(versioned):
    c, p = versioned
    now = c.get(f"/api/powers/{p.code}").json()
    then = c.get(f"/api/powers/{p.code}?at=v1").json()
    assert now["title"] == p.title + "（修订）"
    assert then["title"] == p.title
    assert c.get("/api/stats?at=v1").json()["revision"]
    r = c.get(f"/api/powers/{p.code}?at=no-such-tag")
    assert r.status_code == 404 and r.json()["error"] == "REVISION_NOT_FOUND"
    assert c.get(f"/api/powers/{p.code}?at=--help").status_code == 400


def test_sparql_at_a_past_revision(versioned):
    c, p = versioned
    ask = ('ASK { <https://powers.example.org/id/power/%s> '
           '<http://purl.org/dc/terms/title> "%s"@zh }')
    old = ask % (p.code, p.title)
    new = ask % (p.code, p.title + "（修订）")
    accept = {"Accept": "application/sparql-results+json"}
    assert c.get("/sparql", params={"query": old, "at": "v1"}, headers=accept).json()["boolean"]
    assert not c.get("/sparql", params={"query": new, "at": "v1"},
                     headers=accept).json()["boolean"]


def test_recent_changes_and_diff(versioned):
    c, p = versioned
    changes = c.get("/api/changes").json()
    assert changes[0]["message"].startswith("修改名称")
    assert changes[0]["items"][0]["code"] == p.code
    diff = c.get("/api/diff", params={"from": "v1", "to": "HEAD"}).json()
    assert json.dumps(diff, ensure_ascii=False).count(p.code) >= 1


def test_every_setting_has_a_default_and_help_and_reads_from_the_environment(monkeypatch):
    from api.settings import describe

    table = describe()
    assert all(help_text and "/ " in help_text for _, _, help_text in table)  # 中文 / English
    monkeypatch.setenv("POWERS_SPARQL_TIMEOUT", "3.5")
    monkeypatch.setenv("POWERS_MAX_LIMIT", "200")
    monkeypatch.setenv("POWERS_CORS_ORIGINS", "https://a.example, https://b.example")
    s = Settings.from_env(root=Path("/tmp"))
    assert s.sparql_timeout == 3.5 and s.max_limit == 200
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert s.root == Path("/tmp")
