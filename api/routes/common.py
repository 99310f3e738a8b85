"""What every route uses: the injected services, shared parameters, JSON responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from .. import errors
from ..catalog import Catalog, Representation, dumps, etag_of
from ..http import fast_key, not_modified, send, validators
from ..negotiation import FORMAT_ALIASES, choose
from ..services import Services


def services(request: Request) -> Services:
    return request.app.state.services


Svc = Annotated[Services, Depends(services)]
At = Annotated[str | None, Query(
    max_length=100, description="过去的版本：提交、标签或日期 YYYY-MM-DD / a past revision: "
                                "commit, tag or date YYYY-MM-DD")]
Format = Annotated[str | None, Query(
    max_length=16, description="覆盖 Accept：json, jsonld, ttl, nt / overrides Accept")]


async def catalog_at(svc: Services, at: str | None) -> Catalog:
    if not at:
        return svc.catalog
    return await run_in_threadpool(svc.history.catalog, at)


def media_for(request: Request, offered: tuple[str, ...], fmt: str | None) -> str:
    """The media type to answer with: ``?format=`` if given, else by Accept (406 if none)."""
    if fmt:
        media = FORMAT_ALIASES.get(fmt.lower())
        if media not in offered:
            raise errors.InvalidParameter(
                f"format 可取 / format may be: "
                f"{', '.join(k for k, v in FORMAT_ALIASES.items() if v in offered)}", format=fmt)
        return media
    media = choose(request.headers.get("accept"), offered)
    if media is None:
        raise errors.NotAcceptable(list(offered))
    return media


async def answer(request: Request, svc: Services, cat: Catalog, build, *,
                 media: str = "application/json", vary: str | None = "Accept",
                 threaded: bool = False) -> Response:
    """A JSON (or JSON-LD) body for this URL: from the response cache, or a 304 when the
    client's ETag matches (``build`` never runs), or built now (in a worker thread when
    ``threaded``) and cached. ``build`` returns bytes, a JSON-ready value, or
    (either, extra headers)."""
    if cat is svc.catalog:  # the key the fast path looks up, before any routing
        key = fast_key(request.url.path, request.scope.get("query_string", b""),
                       request.headers.get("accept"))
    else:
        key = (cat.fingerprint, request.url.path, request.url.query, media)
    hit = svc.responses.get(key)
    if hit is not None:
        rep, headers = hit
        return send(request, rep, vary=None, headers=headers)
    etag = etag_of(cat.fingerprint, request.url.path + "?" + request.url.query, media)
    if not_modified(request, etag, cat.modified):
        return Response(status_code=304, headers=validators(etag, cat.modified, vary))
    data = await run_in_threadpool(build) if threaded else build()
    headers: dict = {}
    if isinstance(data, tuple):
        data, more = data
        headers.update(more or {})
    if vary:
        headers["Vary"] = vary
    body = data if isinstance(data, bytes) else dumps(data)
    rep = Representation(body, media, etag, cat.modified)
    svc.responses.put(key, rep, headers)
    return send(request, rep, vary=None, headers=headers)
