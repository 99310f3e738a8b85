"""Hostile requests get a 4xx (never a traceback) and the server keeps answering."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from serverutil import running_server

from api import Settings, create_app
from registry.snapshot import load_snapshot


@pytest.fixture(scope="module")
def client(small_registry: Path):
    snap = load_snapshot(small_registry)
    app = create_app(Settings(root=small_registry, sparql_timeout=2.0), snap)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def code(small_registry: Path) -> str:
    return sorted(load_snapshot(small_registry).powers)[0]


def still_up(client, code) -> None:
    r = client.get(f"/api/powers/{code}")
    assert r.status_code == 200
    assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def assert_json_error(r: httpx.Response, status: int, error: str | None = None) -> None:
    assert r.status_code == status, r.text[:300]
    body = r.json()
    assert set(body) >= {"error", "message"}
    assert "Traceback" not in r.text
    if error:
        assert body["error"] == error


def test_an_oversized_query_string_is_414(client, code, small_registry):
    assert_json_error(client.get("/api/powers", params={"q": "许" * 2_000}), 414,
                      "URI_TOO_LONG")
    snap = load_snapshot(small_registry)
    app = create_app(Settings(root=small_registry, sparql_max_query=4_000), snap)
    with TestClient(app) as small:
        assert_json_error(small.get("/sparql", params={"query": "#" * 20_000}), 414,
                          "URI_TOO_LONG")
        query = "ASK {}" + " " * 5_000
        assert_json_error(small.post("/sparql", data={"query": query}), 413, "REQUEST_TOO_LARGE")
    still_up(client, code)


def test_a_real_server_refuses_a_megabyte_request_line_and_stays_up(small_registry, code):
    import socket

    with running_server(small_registry, "--no-search", wait_for_sparql=False) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"GET /api/powers?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                reply = s.recv(200)
            except OSError:  # the server may close at once
                reply = b""
        assert not reply or reply.startswith((b"HTTP/1.1 4", b"HTTP/1.1 5"))
        assert httpx.get(f"{base}/api/powers/{code}", timeout=10).status_code == 200


def test_an_oversized_body_is_413(client, code):
    big = "ASK {}" + " " * 400_000
    assert_json_error(client.post("/sparql", data={"query": big}), 413, "REQUEST_TOO_LARGE")
    assert_json_error(client.post("/sparql", content=big.encode(),
                                  headers={"Content-Type": "application/sparql-query"}), 413)
    assert_json_error(client.post("/sparql", content=("SELECT * WHERE { ?s ?p ?o }" +
                                                      " " * 70_000).encode(),
                                  headers={"Content-Type": "application/sparql-query"}), 413)
    still_up(client, code)


def test_a_deeply_nested_query_is_refused_before_it_can_crash_the_engine(client, code):
    # 5,000 levels overflow Oxigraph's parser stack (a segfault in-process)
    deep = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000
    assert_json_error(client.post("/sparql", data={"query": deep}), 400, "QUERY_TOO_COMPLEX")
    parens = "SELECT * WHERE { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }"
    assert_json_error(client.post("/sparql", data={"query": parens}), 400, "QUERY_TOO_COMPLEX")
    still_up(client, code)


def test_a_query_that_crashes_its_worker_is_an_error_and_the_worker_comes_back(
        small_registry, code):
    # with the depth screen off, the nested query reaches the engine and kills the worker
    snap = load_snapshot(small_registry)
    app = create_app(Settings(root=small_registry, sparql_max_depth=100_000, sparql_workers=1),
                     snap)
    with TestClient(app) as c:
        deep = "SELECT * WHERE " + "{" * 20_000 + " ?s ?p ?o " + "}" * 20_000
        r = c.post("/sparql", data={"query": deep})
        assert r.status_code in (400, 500)
        assert r.json()["error"] in ("QUERY_FAILED", "MALFORMED_QUERY")
        assert c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_invalid_utf8_is_400_wherever_it_appears(client, code):
    assert_json_error(client.get("/api/powers/%FF%FE"), 400, "INVALID_ENCODING")
    assert_json_error(client.get("/api/search?q=%E9%A9"), 400, "INVALID_ENCODING")
    assert_json_error(client.get("/sparql?query=%C3%28"), 400, "INVALID_ENCODING")
    assert_json_error(client.post("/sparql", content=b"ASK { \xff }",
                                  headers={"Content-Type": "application/sparql-query"}), 400,
                      "INVALID_ENCODING")
    assert_json_error(client.post("/sparql", content=b"query=ASK%20%7B%FF%7D",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}),
                      400, "INVALID_ENCODING")
    still_up(client, code)


def test_a_huge_limit_or_offset_is_400(client, code):
    for url in ("/api/powers?limit=1001", "/api/powers?limit=99999999999999999999999",
                "/api/powers?limit=-1", "/api/search?q=许可&limit=100000",
                "/api/search?q=许可&offset=99999999", "/api/changes?limit=1000000"):
        assert_json_error(client.get(url), 400)
    still_up(client, code)


@pytest.mark.parametrize("path", [
    "/api/powers/..%2F..%2F..%2Fetc%2Fpasswd",
    "/api/powers/%2e%2e%2fsecret",
    "/api/powers/330218001000%00.ttl",
    "/api/departments/..%2F..%2Fpyproject",
    "/api/departments/%2e%2e",
    "/api/laws/..%5C..%5Cwin.ini",
    "/api/vocabularies/..%2Fpowers",
    "/api/powers/330218001000/history%2F..%2F..",
])
def test_path_traversal_in_identifiers_is_4xx_and_reads_no_file(client, code, path):
    r = client.get(path)
    assert 400 <= r.status_code < 500, path
    assert "root:" not in r.text and "[build-system]" not in r.text
    assert r.headers["content-type"].startswith("application/json")


def test_at_cannot_smuggle_git_options(client, code):
    for at in ("--output=/tmp/x", "-p", "HEAD;rm -rf /", "a..b"):
        r = client.get(f"/api/powers/{code}", params={"at": at})
        assert 400 <= r.status_code < 500, at
    still_up(client, code)


def test_header_and_method_abuse(client, code):
    r = client.get(f"/api/powers/{code}", headers={"Accept": "x" * 4000 + "/" + "y" * 4000})
    assert r.status_code == 406
    r = client.get(f"/api/powers/{code}", headers={"If-Modified-Since": "not a date"})
    assert r.status_code == 200
    r = client.request("PUT", "/sparql", content=b"x")
    assert r.status_code in (405, 400)
    still_up(client, code)


def test_many_runaway_queries_at_once_leave_lookups_fast(client, code):
    results = []

    def runaway():
        results.append(client.get("/sparql", params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"}))

    threads = [threading.Thread(target=runaway) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(20):
        assert client.get(f"/api/powers/{code}").status_code == 200
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4
    assert all(r.status_code == 503 for r in results)
    assert {r.json()["error"] for r in results} <= {"QUERY_TIMEOUT", "BUSY"}
    still_up(client, code)
