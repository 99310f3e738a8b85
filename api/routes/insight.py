"""/api/search, /api/stats, /api/changes, /api/diff: questions about the whole registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from .. import errors, schemas
from .common import At, Svc, answer, catalog_at

router = APIRouter()


@router.get("/search", tags=["search"], summary="全文搜索 / Full-text search",
            response_model=schemas.SearchResult, responses={**schemas.ERRORS, 503: {
                "model": schemas.Error, "description": "搜索不可用 / search unavailable"}})
async def search(
    request: Request, svc: Svc,
    q: Annotated[str, Query(max_length=200, description="中文词语或编码 / words or a code")] = "",
    department: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    level: Annotated[str | None, Query(pattern=r"^\d$")] = None,
    star: Annotated[int | None, Query(ge=1, le=5)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """Ranked hits with highlights (`<mark>`) and facet counts (department, type, level,
    star, status). Words are ANDed; each may match the name, the legal basis or the
    department; a run of 4–12 digits is a code prefix. Example: `/api/search?q=驾驶培训`
    """
    if svc.searcher is None:
        if svc.search_state == "starting":
            raise errors.SearchUnavailable("搜索索引正在准备，请稍后再试。/ The search index is "
                                           "being prepared; try again in a few seconds.")
        raise errors.SearchUnavailable("本服务未启用搜索。/ Search is not enabled on this server.")
    if len(q) > svc.settings.search_max_chars:
        raise errors.InvalidParameter(f"搜索词最长 {svc.settings.search_max_chars} 字。/ At most "
                                      f"{svc.settings.search_max_chars} characters.")
    searcher = svc.searcher
    return await answer(request, svc, svc.catalog, lambda: searcher.search(
        q, department=department, power_type=type, level=level, star=star, status=status,
        limit=limit, offset=offset).to_dict(), vary=None, threaded=True)


@router.get("/stats", tags=["stats"], summary="统计 / Figures", response_model=schemas.Stats)
async def stats(request: Request, svc: Svc, at: At = None) -> Response:
    """Counts of powers by status, type, department and level (the site's home figures)."""
    cat = await catalog_at(svc, at)
    return await answer(request, svc, cat, cat.stats, vary=None)


@router.get("/changes", tags=["history"], summary="最近的变更 / Recent changes",
            response_model=list[schemas.Change], responses=schemas.ERRORS)
async def changes(
    request: Request, svc: Svc,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    since: Annotated[str | None, Query(max_length=100, description="提交、标签或日期 / commit, "
                                                                   "tag or date")] = None,
) -> Response:
    """Commits that changed records, newest first, each with the records and fields changed."""
    return await answer(request, svc, svc.catalog, lambda: svc.history.changes(limit, since),
                        vary=None, threaded=True)


@router.get("/diff", tags=["history"], summary="两个版本之差 / Diff of two revisions",
            responses=schemas.ERRORS)
async def diff(
    request: Request, svc: Svc,
    from_: Annotated[str, Query(alias="from", max_length=100, description="起点 / from")],
    to: Annotated[str | None, Query(max_length=100, description="终点（默认当前）/ to "
                                                                "(default: now)")] = None,
) -> Response:
    """The semantic diff between two revisions: powers added, removed, abolished and
    changed, field by field. Example: `/api/diff?from=v1.0&to=HEAD`"""
    return await answer(request, svc, svc.catalog, lambda: svc.history.diff(from_, to),
                        vary=None, threaded=True)
