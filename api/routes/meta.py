"""/api and /api/health: where things are, and whether they are up."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from .. import schemas
from .common import Svc

router = APIRouter(tags=["meta"])


@router.get("", summary="API 入口 / API index", response_model=None,
            responses={200: {"model": schemas.ApiIndex}})
def index(svc: Svc) -> JSONResponse:
    """Links to every resource, and which snapshot the server holds."""
    cat = svc.catalog
    return JSONResponse({
        "title": "行政权力清单登记库 API / Administrative powers registry API",
        "revision": cat.revision, "fingerprint": cat.fingerprint.strip('"'),
        "powers": len(cat.snap.powers),
        "links": {"powers": "/api/powers", "departments": "/api/departments",
                  "laws": "/api/laws", "vocabularies": "/api/vocabularies",
                  "search": "/api/search?q=", "stats": "/api/stats", "changes": "/api/changes",
                  "sparql": "/sparql", "docs": "/api/docs", "openapi": "/api/openapi.json",
                  "data": "/data/"},
    })


@router.get("/health", summary="健康检查 / Health", response_model=None,
            responses={200: {"model": schemas.Health}})
def health(svc: Svc) -> JSONResponse:
    """`ok` once the API answers; SPARQL and search report their own state."""
    pool = svc.sparql
    return JSONResponse({
        "status": "ok",
        "powers": len(svc.catalog.snap.powers),
        "sparql": "disabled" if pool is None else ("ready" if pool.ready else "starting"),
        "search": "ready" if svc.searcher is not None else svc.search_state,
    })
