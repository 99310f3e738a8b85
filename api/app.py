"""``create_app``: the registry's web application — REST under /api, SPARQL at /sparql,
and (when given) the built site at /.

Errors: every ``ApiError`` becomes ``{"error": CODE, "message": …}`` with the status
from ``errors.STATUS``; FastAPI's own 404/405/422 are turned into the same shape; any
other exception is logged and answered 500 ``INTERNAL_ERROR`` without a traceback.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse

from registry.snapshot import Snapshot, load_snapshot

from . import errors
from .catalog import Catalog
from .fastpath import PowerFastPath
from .http import HeadAsGet, Limits, error_response
from .routes import insight, meta, powers, registry_records, sparql
from .services import History, Searcher, Services, sparql_files
from .settings import Settings
from .sitefiles import SiteFiles
from .sparql_pool import SparqlPool

log = logging.getLogger("powers.api")

DESCRIPTION = """
行政权力清单登记库的只读 API：权力事项、部门、法律法规、代码表、全文搜索、统计、历史，
以及 `/sparql` 的 SPARQL 1.1 端点。数据为合成样例。

The read-only API of the administrative powers registry: powers, departments, laws,
code lists, full-text search, figures, history, and a SPARQL 1.1 endpoint at `/sparql`.
Every read carries an ETag and Last-Modified (send `If-None-Match` for a 304); lists page
with an opaque cursor; errors are `{"error": CODE, "message": "中文 / English"}`.
`?at=<commit|tag|date>` reads the registry as it stood then. The data is a synthetic sample.
"""


TAGS = [
    ("powers", "权力事项 / Administrative powers"),
    ("departments", "实施部门 / Departments"),
    ("laws", "法律法规及其所支撑的权力 / Laws and the powers resting on them"),
    ("vocabularies", "代码表（SKOS）/ Code lists (SKOS)"),
    ("search", "中文全文搜索 / Chinese full-text search"),
    ("stats", "统计 / Figures"),
    ("history", "版本与变更 / Versions and changes"),
    ("sparql", "SPARQL 1.1 查询端点 / SPARQL 1.1 query endpoint"),
    ("meta", "入口与健康检查 / Index and health"),
]


def create_app(settings: Settings | None = None, snapshot: Snapshot | None = None, *,
               searcher: Searcher | None = None, sparql_enabled: bool = True) -> FastAPI:
    """The ASGI app over ``snapshot`` (default: the registry at ``settings.root``).

    ``searcher`` is a ``search.SearchIndex`` (the CLI passes it; the API does not import
    search). With ``sparql_enabled`` the SPARQL workers start loading in the background
    at once; queries wait for them (a second or two).
    """
    settings = settings or Settings()
    root = Path(settings.root)
    has_root = (root / "data").is_dir()
    if snapshot is None:
        snapshot = load_snapshot(root)
    catalog = Catalog(snapshot, root=root if has_root else None)
    pool = None
    if sparql_enabled and settings.sparql_backend:  # an external store answers /sparql
        from .sparql_remote import RemoteSparql

        pool = RemoteSparql(settings.sparql_backend, timeout=settings.sparql_timeout,
                            concurrency=max(4, settings.sparql_workers * 4),
                            refresh=settings.sparql_backend_refresh).start()
    elif sparql_enabled:
        pool = SparqlPool(sparql_files(snapshot), workers=settings.sparql_workers,
                          timeout=settings.sparql_timeout,
                          memory_mb=settings.sparql_memory_mb).start()
    svc = Services(settings=settings, catalog=catalog, searcher=searcher, sparql=pool,
                   history=History(root=root if has_root else None, settings=settings,
                                   current=catalog))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        svc.close()

    app = FastAPI(
        title="行政权力清单登记库 API / Administrative powers registry API",
        version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
        docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json",
        generate_unique_id_function=lambda route: route.name,  # operation ids = function names
        openapi_tags=[{"name": name, "description": text} for name, text in TAGS],
    )
    app.state.services = svc
    _document_errors_as_400(app)
    app.state.sparql_limiter = anyio.CapacityLimiter(max(4, settings.sparql_workers * 8))
    _error_handlers(app)
    for module in (meta, powers, registry_records, insight):
        app.include_router(module.router, prefix="/api")
    app.include_router(sparql.router)
    site = settings.site_dir
    if site is not None and Path(site).is_dir():
        app.mount("/", SiteFiles(directory=str(site), html=True), name="site")
    else:
        @app.get("/", include_in_schema=False)
        def home() -> JSONResponse:
            return JSONResponse({"message": "站点未构建；API 在 /api/，文档在 /api/docs。/ No site "
                                            "built; the API is at /api/, its docs at /api/docs.",
                                 "api": "/api", "docs": "/api/docs", "sparql": "/sparql"})

    app.add_middleware(HeadAsGet)
    app.add_middleware(PowerFastPath, services=svc)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                       allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                       allow_headers=["Accept", "Content-Type", "If-None-Match",
                                      "If-Modified-Since"],
                       expose_headers=["ETag", "Last-Modified", "Link", "X-Query-Time"],
                       max_age=86400)
    app.add_middleware(Limits, max_query_string=settings.max_query_string,
                       max_sparql_query_string=3 * settings.sparql_max_query,
                       max_body=settings.max_body)
    return app


def _document_errors_as_400(app: FastAPI) -> None:
    """Invalid parameters are answered 400 with ``Error`` (not FastAPI's 422): say so."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        error = {"description": "参数错误 / bad parameter",
                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for item in spec.get("paths", {}).values():
            for op in item.values():
                responses = op.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault("400", error)
        schemas = spec.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi


_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 400: "BAD_REQUEST",
               413: "REQUEST_TOO_LARGE", 414: "URI_TOO_LONG", 415: "UNSUPPORTED_MEDIA_TYPE"}
_HTTP_MESSAGES = {404: "未找到。/ Not found.", 405: "不支持该方法。/ Method not allowed."}


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.ApiError)
    async def api_error(request: Request, exc: errors.ApiError):
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
        message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": code, "message": message}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{where}: {e.get('msg', '')}"[:200])
        return JSONResponse({"error": "INVALID_PARAMETER",
                             "message": "参数无效 / Invalid parameter: " + "; ".join(problems)},
                            status_code=400)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"error": "INTERNAL_ERROR",
                             "message": "服务器内部错误，已记录。/ Internal server error; it was "
                                        "logged."}, status_code=500)
