"""/api/powers: lists with filters and cursors; one power in four formats; its history."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from .. import errors, schemas
from ..catalog import SLUG_RE, json_list, jsonld_list
from ..fastpath import RECORD_OFFER, power_response
from .common import At, Format, Svc, answer, catalog_at, media_for

router = APIRouter(tags=["powers"])

STATUSES = ("in-force", "abolished", "delegated", "merged", "all")
LIST_TYPES = ("application/json", "application/ld+json")


@router.get("/powers", summary="权力列表 / List powers",
            response_model=None, responses={200: {"model": schemas.PowerPage,
                                                  "content": {"application/ld+json": {}}},
                                            **schemas.ERRORS})
async def list_powers(
    request: Request, svc: Svc,
    department: Annotated[str | None, Query(max_length=64, description="部门 slug")] = None,
    type: Annotated[str | None, Query(pattern=r"^\d{2}$", description="事项类型代码 / type "
                                                                       "notation, e.g. 01")] = None,
    level: Annotated[str | None, Query(pattern=r"^\d$", description="行使层级 / level")] = None,
    status: Annotated[str, Query(description="in-force (默认), abolished, delegated, merged, "
                                             "all")] = "in-force",
    q: Annotated[str | None, Query(max_length=200, description="名称或依据中的词 / words")] = None,
    limit: Annotated[int | None, Query(ge=1, description="每页条数 / page size (≤ 1000)")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="上一页的 next_cursor")] = None,
    view: Annotated[str, Query(pattern="^(summary|full)$", description="summary | full")] =
    "summary",
    format: Format = None,
    at: At = None,
) -> Response:
    """Powers filtered by department, type, level, status and words, by code, in pages.

    Follow `next` (also in the `Link` header) for the next page; the cursor is opaque.
    JSON-LD (`Accept: application/ld+json`) gives the full records as a `@graph`.
    Example: `/api/powers?department=jiaotong&type=01&limit=100`
    """
    settings = svc.settings
    limit = settings.default_limit if limit is None else limit
    if limit > settings.max_limit:
        raise errors.InvalidParameter(f"limit 最大为 {settings.max_limit}。/ limit may be at most "
                                      f"{settings.max_limit}.", limit=limit)
    if status not in STATUSES:
        raise errors.InvalidParameter(f"status 可取 / status may be: {', '.join(STATUSES)}")
    if department and not SLUG_RE.match(department):
        raise errors.InvalidParameter("department 应为部门 slug，如 jiaotong。/ department must "
                                      "be a department slug, e.g. jiaotong.")
    media = media_for(request, LIST_TYPES, format)
    cat = await catalog_at(svc, at)

    def build():
        codes = _matching(svc, cat, q, at) if q else None
        selected = cat.select(department=department, power_type=type, level=level,
                              status=status, codes=codes)
        chunk, next_cursor = cat.page(selected, limit, cursor)
        next_url = None
        if next_cursor:
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
            next_url = request.url.path + "?" + urlencode([*params, ("cursor", next_cursor)])
        extra = {"count": len(selected), "limit": limit, "next": next_url,
                 "next_cursor": next_cursor}
        if media == "application/ld+json":
            body = jsonld_list([cat.jsonld_node(c) for c in chunk], extra)
        else:
            table = cat.summaries if view == "summary" else \
                {c: cat.power_json[c].body for c in chunk}
            body = json_list([table[c] for c in chunk], extra)
        return body, ({"Link": f'<{next_url}>; rel="next"'} if next_url else None)

    return await answer(request, svc, cat, build, media=media, threaded=True)


def _matching(svc: Svc, cat, q: str, at: str | None) -> set[str]:
    if svc.searcher is not None and not at and hasattr(svc.searcher, "codes"):
        return set(svc.searcher.codes(q))
    words = q.split()
    return {c for c, p in cat.snap.powers.items() if all(w in p.title or w in c for w in words)}


@router.get("/powers/{code}", summary="一项权力 / One power", response_model=None,
            responses={200: {"model": schemas.Power, "content": {
                "application/ld+json": {}, "text/turtle": {}, "application/n-triples": {}}},
                303: {"description": "text/html：转到站点页面 / to the site page"},
                **schemas.ERRORS})
async def get_power(
    request: Request, svc: Svc,
    code: Annotated[str, Path(max_length=64, description="12位基本编码 / 12-digit code")],
    format: Format = None,
    at: At = None,
) -> Response:
    """One power as JSON (default), JSON-LD, Turtle (the record file) or N-Triples, by
    `Accept` or `?format=`; a browser (`text/html`) is sent to the power's page.
    Example: `curl -H 'Accept: text/turtle' /api/powers/330218001000`
    """
    media = media_for(request, RECORD_OFFER, format)
    cat = svc.catalog if not at else await catalog_at(svc, at)
    return power_response(cat, code, media, request.headers)


@router.get("/powers/{code}/history", summary="一项权力的历史 / History of a power",
            response_model=list[schemas.Version], responses=schemas.ERRORS)
async def power_history(
    request: Request, svc: Svc,
    code: Annotated[str, Path(max_length=64, description="12位基本编码 / 12-digit code")],
) -> Response:
    """Every version of the power's record, newest first, following moves, with the
    fields that changed (bilingual labels). Example: `/api/powers/330218001000/history`"""
    return await answer(request, svc, svc.catalog, lambda: svc.history.record(code), vary=None,
                        threaded=True)
