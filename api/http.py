"""HTTP plumbing shared by the routes: conditional responses, request bounds, HEAD.

The two middlewares are plain ASGI (no per-request task or body copy on the fast path):
``Limits`` refuses oversized URLs and bodies and URLs that are not UTF-8 before any
route runs; ``HeadAsGet`` answers HEAD as GET without the body.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import Response

from . import errors
from .catalog import Representation, http_date

CACHE_CONTROL = "public, no-cache"


def not_modified(headers, etag: str, last_modified: float | None) -> bool:
    """True when the client's copy is current (If-None-Match first, else If-Modified-Since).

    ``headers``: the request's headers (or the request itself)."""
    if isinstance(headers, Request):
        headers = headers.headers
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return etag in tags or "*" in tags
    ims = headers.get("if-modified-since")
    if ims and last_modified is not None:
        try:
            return int(last_modified) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def validators(etag: str, last_modified: float | None, vary: str | None = "Accept") -> dict:
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    if vary:
        headers["Vary"] = vary
    return headers


def send(request, rep: Representation, vary: str | None = "Accept",
         headers: dict | None = None) -> Response:
    """``rep`` with its ETag and Last-Modified, or 304 if the client has it."""
    h = validators(rep.etag, rep.last_modified, vary)
    if headers:
        h.update(headers)
    if not_modified(request, rep.etag, rep.last_modified):
        return Response(status_code=304, headers=h)
    return Response(rep.body, media_type=_media_header(rep.media_type), headers=h)


def fast_key(path: str, query_string: bytes, accept: str | None) -> tuple:
    """Cache key of a response of the current snapshot: what the client sent decides it."""
    return ("now", path, query_string, accept or "")


class ResponseCache:
    """Rendered responses by (snapshot, URL, media type), least recently used out first.

    The snapshot behind a catalog never changes while it is served, so the same URL
    always renders the same bytes; bounded by entries and by total bytes."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            hit = self.data.get(key)
            if hit is not None:
                self.data.move_to_end(key)
            return hit

    def put(self, key, rep: Representation, headers: dict | None) -> None:
        size = len(rep.body)
        if size > self.max_bytes // 16:
            return
        with self.lock:
            old = self.data.pop(key, None)
            if old is not None:
                self.bytes -= len(old[0].body)
            self.data[key] = (rep, headers)
            self.bytes += size
            while self.data and (len(self.data) > self.max_entries or self.bytes > self.max_bytes):
                _, (gone, _) = self.data.popitem(last=False)
                self.bytes -= len(gone.body)


def _media_header(media: str) -> str:
    return media + "; charset=utf-8" if media.startswith("text/") or \
        media == "application/n-triples" else media


def _raw_headers(rep: Representation, vary: str | None, extra: dict | None):
    """(validator headers, body headers) of ``rep`` as ASGI header lists, built once."""
    key = (vary, tuple(extra.items()) if extra else ())
    cached = rep.raw.get(key)
    if cached is None:
        h = validators(rep.etag, rep.last_modified, vary)
        if extra:
            h.update(extra)
        common = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in h.items()]
        body = [(b"content-type", _media_header(rep.media_type).encode("latin-1")),
                (b"content-length", str(len(rep.body)).encode())]
        cached = rep.raw[key] = (common, body)
    return cached


async def send_raw(send_, request_headers, rep: Representation, vary: str | None = None,
                   extra: dict | None = None) -> None:
    """What ``send`` answers, written straight to ASGI (the fast path's cheaper twin)."""
    common, body_headers = _raw_headers(rep, vary, extra)
    if not_modified(request_headers, rep.etag, rep.last_modified):
        await send_({"type": "http.response.start", "status": 304, "headers": common})
        await send_({"type": "http.response.body", "body": b""})
        return
    await send_({"type": "http.response.start", "status": 200, "headers": common + body_headers})
    await send_({"type": "http.response.body", "body": rep.body})


def error_response(exc: errors.ApiError, headers: dict | None = None) -> Response:
    body = json.dumps(exc.to_dict(), ensure_ascii=False).encode()
    return Response(body, status_code=errors.status_of(exc), media_type="application/json",
                    headers=headers)


async def _send_error(send, exc: errors.ApiError) -> None:
    body = json.dumps(exc.to_dict(), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": errors.status_of(exc),
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"access-control-allow-origin", b"*")]})
    await send({"type": "http.response.body", "body": body})


class Limits:
    """Refuse what no route should see: long URLs, big bodies, URLs that are not UTF-8."""

    def __init__(self, app, *, max_query_string: int, max_sparql_query_string: int,
                 max_body: int, max_path: int = 2048):
        self.app = app
        self.max_query_string = max_query_string
        self.max_sparql_query_string = max_sparql_query_string
        self.max_body = max_body
        self.max_path = max_path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        qs = scope.get("query_string", b"")
        limit = self.max_sparql_query_string if scope["path"].startswith("/sparql") else \
            self.max_query_string
        if len(raw_path) > self.max_path or len(qs) > limit:
            return await _send_error(send, errors.UriTooLong(
                f"网址过长（上限 {limit:,} 字节）：长查询请用 POST。/ The URL is too long "
                f"(limit {limit:,} bytes): POST long queries."))
        try:
            for part in (raw_path, qs):
                if b"%" in part or not part.isascii():
                    unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            return await _send_error(send, errors.InvalidEncoding())
        if scope["method"] in ("POST", "PUT", "PATCH"):
            declared = None
            for k, v in scope.get("headers", []):
                if k == b"content-length":
                    try:
                        declared = int(v)
                    except ValueError:
                        declared = -1
            if declared is not None and (declared < 0 or declared > self.max_body):
                return await _send_error(send, self._too_large())
            # read the body here, bounded, and replay it to the app
            chunks, size = [], 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body = message.get("body", b"")
                size += len(body)
                if size > self.max_body:
                    return await _send_error(send, self._too_large())
                chunks.append(body)
                if not message.get("more_body", False):
                    break
            whole = b"".join(chunks)
            replayed = False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": whole, "more_body": False}
                return await receive()

            return await self.app(scope, replay, send)
        return await self.app(scope, receive, send)

    def _too_large(self) -> errors.ApiError:
        return errors.TooLarge(f"请求体超过 {self.max_body:,} 字节上限。/ The request body is "
                               f"over the {self.max_body:,}-byte limit.")


class HeadAsGet:
    """Answer HEAD like GET, without the body (FastAPI routes declare GET only)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)
        scope = dict(scope, method="GET")
        scope["powers.head"] = True  # a handler may skip making a body no one will read

        async def no_body(message):
            if message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"",
                           "more_body": message.get("more_body", False)}
            await send(message)

        return await self.app(scope, receive, no_body)
