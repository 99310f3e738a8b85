"""The SPARQL 1.1 Protocol endpoint: request forms, result formats, errors, limits,
and a real server driven by SPARQLWrapper."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from serverutil import running_server

from api import Settings, create_app
from registry.namespaces import POWER
from registry.snapshot import load_snapshot

PREFIXES = """PREFIX pw: <https://powers.example.org/def/>
PREFIX dept: <https://powers.example.org/id/department/>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
#: Four-way cross product of every triple: would run for hours.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def snap(small_registry: Path):
    return load_snapshot(small_registry)


@pytest.fixture(scope="module")
def client(small_registry: Path, snap):
    app = create_app(Settings(root=small_registry, sparql_timeout=2.0, sparql_workers=2), snap)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def dept(snap) -> str:
    return sorted(p.department for p in snap.powers.values())[0]


def select_dept(dept: str) -> str:
    return PREFIXES + f"SELECT ?p ?title WHERE {{ ?p pw:department dept:{dept} ; " \
                      'dcterms:title ?title FILTER(lang(?title) = "zh") } ORDER BY ?p'


def expected_codes(snap, dept: str) -> list[str]:
    return sorted(c for c, p in snap.powers.items() if p.department == dept)


def codes_of(bindings) -> list[str]:
    return sorted(b["p"]["value"].removeprefix(POWER) for b in bindings)


# --- request forms -------------------------------------------------------------------------

def test_get_with_query_returns_sparql_json(client, snap, dept):
    r = client.get("/sparql", params={"query": select_dept(dept)},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert codes_of(r.json()["results"]["bindings"]) == expected_codes(snap, dept)


def test_post_form_encoded(client, snap, dept):
    r = client.post("/sparql", data={"query": select_dept(dept)},
                    headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    assert codes_of(r.json()["results"]["bindings"]) == expected_codes(snap, dept)


def test_post_query_directly(client, snap, dept):
    r = client.post("/sparql", content=select_dept(dept).encode(),
                    headers={"Content-Type": "application/sparql-query",
                             "Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    assert codes_of(r.json()["results"]["bindings"]) == expected_codes(snap, dept)


# --- result formats ------------------------------------------------------------------------

def test_select_as_xml_csv_and_tsv(client, snap, dept):
    q = {"query": select_dept(dept)}
    xml = client.get("/sparql", params=q, headers={"Accept": "application/sparql-results+xml"})
    assert xml.headers["content-type"] == "application/sparql-results+xml"
    ns = "{http://www.w3.org/2005/sparql-results#}"
    results = ET.fromstring(xml.content).find(f"{ns}results")
    assert len(results) == len(expected_codes(snap, dept))
    text = client.get("/sparql", params=q, headers={"Accept": "text/csv"})
    assert text.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert sorted(r["p"].removeprefix(POWER) for r in rows) == expected_codes(snap, dept)
    assert all(r["title"] for r in rows)  # Chinese survives
    tsv = client.get("/sparql", params=q, headers={"Accept": "text/tab-separated-values"})
    assert tsv.text.splitlines()[0] == "?p\t?title"


def test_ask(client):
    r = client.get("/sparql", params={"query": PREFIXES + "ASK { ?p a pw:AdministrativePower }"},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize("accept,fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_construct_and_describe_in_every_graph_format(client, snap, dept, accept, fmt):
    code = expected_codes(snap, dept)[0]
    r = client.get("/sparql", params={"query": f"DESCRIBE <{POWER}{code}>"},
                   headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(accept)
    triples = list(ox.parse(r.content, format=fmt))
    assert any(t.object.value == code for t in triples)
    c = client.get("/sparql", params={"query": PREFIXES + "CONSTRUCT { ?p pw:code ?c } WHERE "
                                      "{ ?p pw:code ?c }"}, headers={"Accept": accept})
    assert len(list(ox.parse(c.content, format=fmt))) == len(snap.powers)


def test_a_select_cannot_be_turtle(client, dept):
    r = client.get("/sparql", params={"query": select_dept(dept)}, headers={"Accept": "text/turtle"})
    assert r.status_code == 406
    assert r.json()["error"] == "NOT_ACCEPTABLE"


# --- dataset --------------------------------------------------------------------------------

def test_each_record_is_a_named_graph_and_the_default_graph_is_their_union(client, snap):
    code = sorted(snap.powers)[0]
    graphs = client.get("/sparql", params={
        "query": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"}).json()
    assert int(graphs["results"]["bindings"][0]["n"]["value"]) >= len(snap.powers)
    one = client.get("/sparql", params={
        "query": "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }",
        "default-graph-uri": POWER + code},
        headers={"Accept": "application/sparql-results+json"}).json()
    assert [b["s"]["value"] for b in one["results"]["bindings"]] == [POWER + code]
    named = client.get("/sparql", params={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        "named-graph-uri": POWER + code},
        headers={"Accept": "application/sparql-results+json"}).json()
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [POWER + code]


def test_service_description_without_a_query(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert any(t.object.value == sd + "Service" for t in triples)
    assert any(t.predicate.value == sd + "endpoint" for t in triples)
    assert any(t.object.value == sd + "SPARQL11Query" for t in triples)
    page = client.get("/sparql", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "SPARQL" in page.text


# --- errors ---------------------------------------------------------------------------------

def test_a_malformed_query_is_400_with_the_parser_message(client):
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p "})
    assert r.status_code == 400
    assert r.json()["error"] == "MALFORMED_QUERY"
    assert "error at" in r.json()["message"]


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "PREFIX x: <urn:x#> DELETE WHERE { ?s ?p ?o }",
    "# comment\nCLEAR ALL",
    "LOAD <http://example.org/data.ttl>",
    "DROP GRAPH <urn:g>",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused_and_never_run(client, snap, update):
    for r in (client.get("/sparql", params={"query": update}),
              client.post("/sparql", data={"update": update}),
              client.post("/sparql", data={"query": update}),
              client.post("/sparql", content=update.encode(),
                          headers={"Content-Type": "application/sparql-update"}),
              client.get("/sparql", params={"update": update})):
        assert r.status_code == 403, update
        assert r.json()["error"] == "UPDATE_REFUSED"
    count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                       headers={"Accept": "text/csv"})
    assert count.status_code == 200


def test_protocol_misuse_is_400_or_415(client):
    assert client.post("/sparql", data={"query": ["ASK {}", "ASK {}"]}).status_code == 400
    assert client.post("/sparql", data={"default-graph-uri": "urn:g"}).status_code == 400
    assert client.post("/sparql").status_code == 415  # no content type
    assert client.post("/sparql", content=b"ASK {}",
                       headers={"Content-Type": "text/plain"}).status_code == 415
    r = client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert r.status_code == 400


def test_federated_service_calls_are_refused(client):
    r = client.get("/sparql", params={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"})
    assert r.status_code == 400
    assert r.json()["error"] == "SERVICE_NOT_ALLOWED"


def test_a_runaway_query_is_stopped_at_the_time_limit_while_others_are_answered(client, dept):
    outcome = {}

    def runaway():
        started = time.perf_counter()
        outcome["response"] = client.get("/sparql", params={"query": RUNAWAY})
        outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    quick = client.get("/sparql", params={"query": select_dept(dept)},
                       headers={"Accept": "application/sparql-results+json"})
    assert quick.status_code == 200  # the other worker answers meanwhile
    thread.join(timeout=30)
    r = outcome["response"]
    assert r.status_code == 503
    assert r.json()["error"] == "QUERY_TIMEOUT"
    assert outcome["seconds"] < 6
    after = client.get("/sparql", params={"query": select_dept(dept)},
                       headers={"Accept": "application/sparql-results+json"})
    assert after.status_code == 200  # the killed worker was replaced


def test_results_past_the_size_limit_are_refused(small_registry, snap):
    app = create_app(Settings(root=small_registry, sparql_max_result_bytes=10_000,
                              sparql_workers=1), snap)
    with TestClient(app) as c:
        r = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert r.status_code == 400
        assert r.json()["error"] == "RESULT_TOO_LARGE"
        ok = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
        assert ok.status_code == 200


# --- a real server ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(small_registry: Path):
    """`powers serve` on a free port (API and SPARQL, no site), stopped afterwards."""
    with running_server(small_registry, env={"POWERS_SPARQL_TIMEOUT": "2"}) as base:
        yield base


def test_sparqlwrapper_against_a_real_server(server, snap, dept):
    from SPARQLWrapper import CSV, JSON, POST, TURTLE, SPARQLWrapper

    sw = SPARQLWrapper(f"{server}/sparql")
    sw.setQuery(select_dept(dept))
    sw.setReturnFormat(JSON)
    result = sw.query().convert()
    assert codes_of(result["results"]["bindings"]) == expected_codes(snap, dept)
    sw.setMethod(POST)
    sw.setReturnFormat(CSV)
    assert len(sw.query().convert().decode().splitlines()) == len(expected_codes(snap, dept)) + 1
    sw.setQuery(PREFIXES + "CONSTRUCT { ?p pw:code ?c } WHERE { ?p pw:code ?c }")
    sw.setReturnFormat(TURTLE)
    graph = list(ox.parse(sw.query().convert(), format=ox.RdfFormat.TURTLE))
    assert len(graph) == len(snap.powers)
    sw.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    from urllib.error import HTTPError

    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    with pytest.raises((SPARQLWrapperException, HTTPError)):
        sw.query()


def test_the_real_server_survives_a_runaway_query(server, dept):
    started = time.perf_counter()
    r = httpx.get(f"{server}/sparql", params={"query": RUNAWAY}, timeout=30)
    assert r.status_code == 503 and r.json()["error"] == "QUERY_TIMEOUT"
    assert time.perf_counter() - started < 6
    ok = httpx.get(f"{server}/sparql", params={"query": select_dept(dept)},
                   headers={"Accept": "application/sparql-results+json"}, timeout=10)
    assert ok.status_code == 200
    assert json.loads(ok.content)["results"]["bindings"]
