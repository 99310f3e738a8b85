"""`powers publish` into a real SPARQL 1.1 server, the atomic switch between releases, and
`/sparql` answered by that server (`--sparql-backend`).

The server is Oxigraph's own (the `oxigraph` binary of the test extra), started here on a
free port with a fresh database for each test; Debian's Virtuoso runs the same checks
when `virtuoso-t` is installed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serverutil import free_port
from sparqlstores import Server, StoreMissing, oxigraph_server, virtuoso_server

from api import Settings, create_app
from registry.publish import (
    POINTER,
    Endpoints,
    PublishError,
    StoreClient,
    publish,
    switch_update,
)
from registry.snapshot import load_snapshot

pytestmark = pytest.mark.store

REPO = Path(__file__).resolve().parents[1]
PW = "https://powers.example.org/def/"
R = "https://powers.example.org/release/"
POWERS = f"?p a <{PW}AdministrativePower>"
COUNT_POWERS = f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ {POWERS} }}"


SERVERS = {"oxigraph": oxigraph_server, "virtuoso": virtuoso_server}


@contextlib.contextmanager
def _started(start, folder: Path) -> Iterator[Server]:
    try:
        with start(folder) as s:
            yield s
    except StoreMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request, tmp_path: Path) -> Iterator[Server]:
    with _started(SERVERS[request.param], tmp_path) as s:
        yield s


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[Server]:
    with _started(oxigraph_server, tmp_path) as s:
        yield s


@pytest.fixture(scope="module")
def snap(small_registry: Path):
    return load_snapshot(small_registry)


def select_one(server: Server, query: str, **params: str) -> str:
    """The first value of the first solution (a count) from the server's own endpoint."""
    data = urllib.parse.urlencode({"query": query, **params}).encode()
    req = urllib.request.Request(server.query, data=data,
                                 headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        rows = json.loads(resp.read())["results"]["bindings"]
    return next(iter(rows[0].values()))["value"] if rows else ""


def count_in(graph: str, pattern: str, var: str = "*") -> str:
    """A query counting the solutions of ``pattern`` in ``graph``."""
    counted = "*" if var == "*" else f"DISTINCT {var}"
    return f"SELECT (COUNT({counted}) AS ?n) WHERE {{ GRAPH <{graph}> {{ {pattern} }} }}"


def without_powers(root: Path, n: int) -> int:
    """Delete ``n`` powers that nothing points at; return how many remain."""
    snap = load_snapshot(root)
    pointed = {p.main_item for p in snap.powers.values()} | {
        s for p in snap.powers.values() for s in p.successors}
    leaves = sorted(c for c in snap.powers if c not in pointed)[:n]
    for code in leaves:
        (root / snap.powers[code].path).unlink()
    return len(snap.powers) - n


# --- publishing -----------------------------------------------------------------------------

def test_publish_loads_every_triple_into_a_release_graph_and_points_at_it(
        server: Server, small_registry: Path, snap) -> None:
    client = server.client()
    result = publish(small_registry, client, snapshot=snap, graph=R + "one")
    assert result.previous is None and not result.unchanged
    assert client.current_release() == R + "one"
    # every triple sent is on the server, in the release graph
    assert int(select_one(server, count_in(R + "one", "?s ?p ?o"))) == result.triples
    assert int(select_one(server, count_in(R + "one", POWERS, "?p"))) == len(snap.powers)
    # code lists and the ontology travel with the records
    schemes = select_one(server, count_in(
        R + "one", "?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme>", "?s"))
    assert int(schemes) == len(snap.schemes)
    assert int(select_one(server, count_in(
        R + "one", "?s a <http://www.w3.org/2002/07/owl#Ontology>", "?s"))) == 1
    # the release describes itself
    assert int(select_one(server, f"SELECT ?n WHERE {{ GRAPH <{R}one> {{ <{R}one> "
                                  f"<http://rdfs.org/ns/void#triples> ?n }} }}")) == result.triples


def test_the_switch_is_atomic_readers_see_the_old_release_until_the_pointer_moves(
        server: Server, small_registry: Path, registry_copy: Path, snap) -> None:
    publish(small_registry, server.client(), snapshot=snap, graph=R + "old")
    n_old = len(snap.powers)
    n_new = without_powers(registry_copy, 5)
    app = create_app(Settings(root=small_registry, sparql_backend=server.query,
                              sparql_backend_refresh=0.0, sparql_timeout=20), snap)
    seen: list[int] = []
    at_switch: dict[str, object] = {}
    done = threading.Event()

    class Observed(StoreClient):
        def update(self, text: str) -> None:
            if "hasCurrentVersion" in text and not at_switch:  # just before the switch
                at_switch["pointer"] = self.current_release()
                at_switch["new_graph"] = int(select_one(server, count_in(R + "new", POWERS,
                                                                          "?p")))
                at_switch["readers"] = reader_count(api)
            super().update(text)

    def reader_count(c: TestClient) -> int:
        r = c.get("/sparql", params={"query": COUNT_POWERS}, headers={"Accept": "text/csv"})
        assert r.status_code == 200, r.text
        return int(list(csv.reader(io.StringIO(r.text)))[1][0])

    with TestClient(app) as api:
        def read_all_along() -> None:
            while not done.is_set():
                seen.append(reader_count(api))

        reader = threading.Thread(target=read_all_along)
        reader.start()
        try:
            result = publish(registry_copy, Observed(Endpoints.for_server(server.base,
                                                                          server.layout)),
                             graph=R + "new", chunk_bytes=200_000)
            seen.append(reader_count(api))
        finally:
            done.set()
            reader.join()
        assert result.requests > 2  # uploaded in several requests
        # just before the switch the new graph was complete, yet nobody read it
        assert at_switch == {"pointer": R + "old", "new_graph": n_new, "readers": n_old}
        assert reader_count(api) == n_new
    # every answer came from one whole release: old ones, then new ones, never a mixture
    assert set(seen) <= {n_old, n_new} and seen[0] == n_old and seen[-1] == n_new
    first_new = seen.index(n_new)
    assert all(n == n_new for n in seen[first_new:])


def test_a_failed_upload_leaves_the_current_release_and_removes_the_partial_one(
        oxigraph: Server, small_registry: Path, snap) -> None:
    publish(small_registry, oxigraph.client(), snapshot=snap, graph=R + "good")

    class Flaky(StoreClient):
        posts = 0

        def post_graph(self, graph: str, body: bytes) -> None:
            Flaky.posts += 1
            if Flaky.posts == 3:
                raise PublishError("连接中断 / connection broke (simulated)")
            super().post_graph(graph, body)

    flaky = Flaky(Endpoints.for_server(oxigraph.base))
    with pytest.raises(PublishError, match="simulated"):
        publish(small_registry, flaky, snapshot=snap, graph=R + "broken", chunk_bytes=100_000)
    assert flaky.current_release() == R + "good"
    assert flaky.count(R + "broken") == 0


def test_the_switch_is_a_compare_and_swap(oxigraph: Server, small_registry: Path,
                                          snap) -> None:
    client = oxigraph.client()
    publish(small_registry, client, snapshot=snap, graph=R + "a")
    # a publisher that still believes the pointer names something else changes nothing
    client.update(switch_update(R + "b", expected=R + "stale", created="2030-01-01T00:00:00Z",
                                identifier="b"))
    assert client.current_release() == R + "a"


def test_publishing_keeps_the_newest_releases_and_drops_older_ones(
        oxigraph: Server, small_registry: Path, snap) -> None:
    client = oxigraph.client()
    for name in ("r1", "r2", "r3"):
        time.sleep(1.1)  # release dates are to the second
        result = publish(small_registry, client, snapshot=snap, graph=R + name, keep=2)
    assert result.dropped == [R + "r1"]
    assert [r for r, _ in client.releases()] == [R + "r3", R + "r2"]
    assert client.count(R + "r1") == 0 and client.count(R + "r2") > 0
    # publishing the current release again sends nothing
    again = publish(small_registry, client, snapshot=snap, graph=R + "r3")
    assert again.unchanged and again.requests == 0


def test_powers_publish_command(oxigraph: Server, small_registry: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cli", "publish", "--sparql-store", oxigraph.base, "--root",
         str(small_registry), "--json"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["release"].startswith(R) and data["pointer"] == POINTER
    assert oxigraph.client().current_release() == data["release"]
    down = subprocess.run(
        [sys.executable, "-m", "cli", "publish", "--sparql-store", f"http://127.0.0.1:{free_port()}",
         "--root", str(small_registry), "--no-validate"], cwd=REPO, capture_output=True,
        text=True, timeout=120, env=dict(os.environ, COLUMNS="200"))
    assert down.returncode == 2
    assert "无法连接" in down.stderr and "Cannot reach" in down.stderr


# --- the API on an external store -----------------------------------------------------------

def test_the_api_answers_sparql_from_the_external_store(server: Server, small_registry: Path,
                                                        snap) -> None:
    publish(small_registry, server.client(), snapshot=snap, graph=R + "api")
    dept = sorted(p.department for p in snap.powers.values())[0]
    expected = sorted(c for c, p in snap.powers.items() if p.department == dept)
    query = (f"SELECT ?p WHERE {{ ?p <{PW}department> "
             f"<https://powers.example.org/id/department/{dept}> }} ORDER BY ?p")
    app = create_app(Settings(root=small_registry, sparql_backend=server.query,
                              sparql_timeout=20), snap)
    with TestClient(app) as api:
        r = api.get("/sparql", params={"query": query},
                    headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/sparql-results+json")
        codes = [b["p"]["value"].rsplit("/", 1)[-1] for b in r.json()["results"]["bindings"]]
        assert codes == expected
        # the same through POST, and as CSV
        r = api.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
        rows = list(csv.reader(io.StringIO(r.text)))
        assert r.status_code == 200 and rows[0] == ["p"]
        assert sorted(row[0].rsplit("/", 1)[-1] for row in rows[1:]) == expected
        # a graph result in Turtle
        r = api.get("/sparql", params={"query": f"CONSTRUCT {{ ?p <{PW}department> ?d }} WHERE "
                                                f"{{ ?p <{PW}department> ?d }} LIMIT 3"},
                    headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
        health = api.get("/api/health").json()
        assert health["sparql"] in ("ready", "starting")


def test_updates_are_refused_before_anything_reaches_the_store(oxigraph: Server,
                                                                small_registry: Path,
                                                                snap) -> None:
    client = oxigraph.client()
    publish(small_registry, client, snapshot=snap, graph=R + "ro")
    before = client.count(R + "ro")
    app = create_app(Settings(root=small_registry, sparql_backend=oxigraph.query), snap)
    with TestClient(app) as api:
        r = api.post("/sparql", content=f"INSERT DATA {{ GRAPH <{R}ro> {{ <urn:a> <urn:b> "
                                        "<urn:c> } }",
                     headers={"Content-Type": "application/sparql-update"})
        assert r.status_code == 403 and r.json()["error"] == "UPDATE_REFUSED"
        r = api.get("/sparql", params={"query": f"DROP GRAPH <{R}ro>"})
        assert r.status_code == 403
    assert client.count(R + "ro") == before


def test_remote_errors_map_to_the_api_error_codes(oxigraph: Server, small_registry: Path,
                                                  snap) -> None:
    publish(small_registry, oxigraph.client(), snapshot=snap, graph=R + "err")
    app = create_app(Settings(root=small_registry, sparql_backend=oxigraph.query,
                              sparql_timeout=1.0, sparql_max_result_bytes=2_000), snap)
    with TestClient(app) as api:
        r = api.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p }"})
        assert r.status_code == 400 and r.json()["error"] == "MALFORMED_QUERY"
        r = api.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert r.status_code == 400 and r.json()["error"] == "RESULT_TOO_LARGE"
        r = api.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                    headers={"Accept": "image/png"})
        assert r.status_code == 406 and r.json()["error"] == "NOT_ACCEPTABLE"
        # a runaway cross product: the API gives up at its limit (the store may run on)
        started = time.perf_counter()
        r = api.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . "
                                                "?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"})
        assert r.status_code == 503 and r.json()["error"] == "QUERY_TIMEOUT"
        assert time.perf_counter() - started < 5


def test_an_unreachable_store_is_reported_not_crashed(small_registry: Path, snap) -> None:
    app = create_app(Settings(root=small_registry, sparql_timeout=2.0,
                              sparql_backend=f"http://127.0.0.1:{free_port()}/query"), snap)
    with TestClient(app) as api:
        r = api.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert r.status_code == 503 and r.json()["error"] == "SPARQL_UNAVAILABLE"
        assert "外部" in r.json()["message"] and "external" in r.json()["message"]
        assert api.get("/api/health").json()["sparql"] == "starting"
        # the rest of the API does not depend on the store
        assert api.get("/api/stats").status_code == 200


def test_a_client_may_query_a_past_release_by_name(oxigraph: Server, small_registry: Path,
                                                   registry_copy: Path, snap) -> None:
    client = oxigraph.client()
    publish(small_registry, client, snapshot=snap, graph=R + "past")
    n_new = without_powers(registry_copy, 3)
    publish(registry_copy, client, graph=R + "now")
    app = create_app(Settings(root=small_registry, sparql_backend=oxigraph.query), snap)
    with TestClient(app) as api:
        def count(**params) -> int:
            r = api.get("/sparql", params={"query": COUNT_POWERS, **params},
                        headers={"Accept": "text/csv"})
            assert r.status_code == 200, r.text
            return int(r.text.splitlines()[1])

        assert count() == n_new
        assert count(**{"default-graph-uri": R + "past"}) == len(snap.powers)


def test_a_release_can_be_rolled_back_to(oxigraph: Server, small_registry: Path, snap) -> None:
    client = oxigraph.client()
    for name in ("v1", "v2"):
        time.sleep(1.1)
        publish(small_registry, client, snapshot=snap, graph=R + name)
    run = subprocess.run(
        [sys.executable, "-m", "cli", "publish", "--sparql-store", oxigraph.base,
         "--root", str(small_registry), "--activate", R + "v1"], cwd=REPO,
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert client.current_release() == R + "v1"
    missing = subprocess.run(
        [sys.executable, "-m", "cli", "publish", "--sparql-store", oxigraph.base,
         "--root", str(small_registry), "--activate", R + "never"], cwd=REPO,
        capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no release graph" in missing.stderr
    assert client.current_release() == R + "v1"
