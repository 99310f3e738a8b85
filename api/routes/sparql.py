"""/sparql: the read-only SPARQL 1.1 Protocol endpoint (and ``?at=`` for past revisions)."""

from __future__ import annotations

from importlib import resources

import anyio
from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import errors
from ..catalog import Representation, etag_of
from ..http import fast_key, send
from ..negotiation import choose
from ..sparql import read_request, screen, serialize_graph, service_description
from ..sparql_pool import Job
from .common import At, Svc

router = APIRouter(tags=["sparql"])

_PARAMS = [
    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "SPARQL 查询（GET）/ the SPARQL query (GET); POST it form-encoded or as "
                    "application/sparql-query"},
    {"name": "default-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}},
    {"name": "named-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}},
]
_DOC = {
    "parameters": _PARAMS,
    "responses": {"200": {"description": "结果 / results", "content": {
        "application/sparql-results+json": {}, "application/sparql-results+xml": {},
        "text/csv": {}, "text/tab-separated-values": {}, "text/turtle": {},
        "application/n-triples": {}, "application/ld+json": {}, "application/rdf+xml": {}}},
        "400": {"description": "查询有误 / malformed query"},
        "403": {"description": "更新被拒绝 / updates refused"},
        "503": {"description": "超时或繁忙 / timed out or busy"}},
}
SD_TYPES = ("text/turtle", "application/n-triples", "application/ld+json",
            "application/rdf+xml", "text/html")


async def sparql(request: Request, svc: Svc, at: At = None) -> Response:
    """Read-only SPARQL 1.1 Protocol: SELECT, ASK, CONSTRUCT, DESCRIBE by GET or POST;
    results by `Accept`. Every record file is a named graph; the default graph is their
    union. Updates are refused (403); each query has a time limit (503 when passed).
    GET without a query returns the service description (Turtle; a query form for
    browsers). `?at=<commit|tag|date>` queries the registry as it stood then.
    """
    body = await request.body()
    req = read_request(request.method, request.headers.get("content-type"),
                       request.scope.get("query_string", b""), body)
    settings = svc.settings
    if req is None:
        return _describe(request, svc)
    screen(req.query, max_bytes=settings.sparql_max_query, max_depth=settings.sparql_max_depth)
    if at:
        pool = await anyio.to_thread.run_sync(svc.history.pool, at)
    elif svc.sparql is None:
        raise errors.SparqlUnavailable("本服务未启用 SPARQL。/ SPARQL is not enabled here.")
    else:
        pool = svc.sparql
    job = Job(query=req.query, accept=request.headers.get("accept"),
              default_graphs=req.default_graphs, named_graphs=req.named_graphs,
              max_bytes=settings.sparql_max_result_bytes)
    answer = await anyio.to_thread.run_sync(pool.run, job, limiter=request.app.state.sparql_limiter)
    qs = request.scope.get("query_string", b"")
    cat = svc.catalog
    remote = getattr(answer, "release", None)  # an external store: the release that answered
    rep = Representation(answer.body, answer.media_type,
                         etag_of(cat.fingerprint + (remote or ""), qs, request.method, body,
                                 answer.media_type),
                         cat.modified)
    headers = {"Vary": "Accept", "X-Query-Time": f"{answer.seconds * 1000:.1f} ms"}
    if request.method == "GET" and not at and remote is None:  # the fast path answers it next time
        svc.responses.put(fast_key("/sparql", qs, request.headers.get("accept")), rep, headers)
    return send(request, rep, vary=None, headers=headers)


for _method in ("GET", "POST"):
    router.add_api_route("/sparql", sparql, methods=[_method], name=f"sparql_{_method.lower()}",
                         summary="SPARQL 1.1 查询 / SPARQL 1.1 query endpoint",
                         response_model=None, openapi_extra=_DOC)


def _describe(request: Request, svc: Svc) -> Response:
    media = choose(request.headers.get("accept"), SD_TYPES)
    if media == "text/html":
        page = resources.files("api").joinpath("static/sparql.html").read_bytes()
        return Response(page, media_type="text/html; charset=utf-8")
    if media is None:
        raise errors.NotAcceptable(list(SD_TYPES))
    base = svc.settings.base_url.rstrip("/")
    endpoint = f"{base}/sparql" if base else str(request.url.replace(query=None))
    triples = svc.sparql.triples if svc.sparql is not None else 0
    body = serialize_graph(service_description(endpoint, triples), media)
    if media.startswith("text/") or media == "application/n-triples":
        media += "; charset=utf-8"
    return Response(body, media_type=media, headers={"Vary": "Accept"})
