"""The hot path: reads answered before FastAPI's routing.

A lookup is the API's most frequent request, and going through FastAPI's routing,
parameter parsing and dependency injection costs several times the lookup itself. This
ASGI middleware answers directly

- ``GET /api/powers/<code>`` without a query string, from the precomputed bytes, with
  ``power_response`` (the same function the documented route uses);
- any other ``GET`` under ``/api/`` or of ``/sparql`` whose response for the same path,
  query string and Accept header is already in the response cache (filled by the routes;
  the snapshot never changes while served, so the bytes cannot be stale).

Everything else falls through to the routes, which validate and answer as documented.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response

from . import errors
from .catalog import RECORD_TYPES, Catalog
from .http import error_response, fast_key, send, send_raw
from .negotiation import choose

RECORD_OFFER = (*RECORD_TYPES, "text/html")
_PATH = re.compile(r"^/api/powers/(\d{12})$")


def power_response(cat: Catalog, code: str, media: str, headers) -> Response:
    """One power in ``media`` (or a 303 to its page for text/html), honouring validators."""
    if media == "text/html":
        cat.power(code)
        return RedirectResponse(f"/powers/{code}/", status_code=303, headers={"Vary": "Accept"})
    return send(headers, cat.power_representation(code, media))


class PowerFastPath:
    def __init__(self, app, services):
        self.app = app
        self.services = services

    async def __call__(self, scope, receive, send_):
        if scope["type"] != "http" or scope["method"] != "GET":
            return await self.app(scope, receive, send_)
        qs = scope.get("query_string", b"")
        if qs:
            path = scope["path"]
            if (path.startswith("/api/") or path == "/sparql") and b"at=" not in qs:
                headers = Headers(scope=scope)
                hit = self.services.responses.get(fast_key(path, qs, headers.get("accept")))
                if hit is not None:
                    rep, extra = hit
                    return await send_raw(send_, headers, rep, None, extra)
            return await self.app(scope, receive, send_)
        path = scope["path"]
        m = _PATH.match(path)
        if m is None:
            return await self.app(scope, receive, send_)
        headers = Headers(scope=scope)
        media = choose(headers.get("accept"), RECORD_OFFER)
        try:
            if media is None:
                raise errors.NotAcceptable(list(RECORD_OFFER))
            if media != "text/html":
                rep = self.services.catalog.power_representation(m.group(1), media)
                return await send_raw(send_, headers, rep, "Accept")
            response = power_response(self.services.catalog, m.group(1), media, headers)
        except errors.ApiError as exc:
            response = error_response(exc)
        await response(scope, receive, send_)
