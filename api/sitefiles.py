"""The built site's files, as a web server in front of it should serve them.

``SiteFiles`` is Starlette's ``StaticFiles`` with two rules nginx users know as
``gzip_static`` and ``gunzip``:

- a ``.gz`` file is what the client asked to download: it is sent as
  ``application/gzip``, never as its inner type (a client told ``text/turtle`` would read
  compressed bytes as Turtle, and one told ``Content-Encoding: gzip`` would save a
  decompressed file under a ``.gz`` name);
- a name that does not exist but whose ``.gz`` does (``/data/powers.nt`` beside
  ``powers.nt.gz``: the site keeps its text dumps compressed only) is answered from the
  compressed file, decompressed as it is sent, in pieces, never whole in memory. It is
  not passed through as ``Content-Encoding: gzip``: the dumps are gzip files of many
  members, and HTTP clients (httpx, curl) decode only the first member of a response.
"""

from __future__ import annotations

import mimetypes
import os
import stat
import zlib
from collections.abc import Iterator

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .http import not_modified

GZIP = "application/gzip"
_CHUNK = 1 << 16
_TEXT = ("text/", "application/n-triples", "application/ld+json", "application/json")


def media_type_of(name: str) -> str:
    """The media type of a file name (``charset=utf-8`` on text: the site's text is UTF-8)."""
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{media}; charset=utf-8" if media.startswith(_TEXT) else media


def _gunzip(path: str) -> Iterator[bytes]:
    """The decompressed content of a gzip file of one or more members, piece by piece
    (each call to zlib bounded, so a small file that inflates hugely never sits whole in
    memory). A file cut short raises, so the response breaks off rather than ending as if
    whole."""
    with open(path, "rb") as fh:
        d, data = zlib.decompressobj(31), b""
        between = True  # at a member boundary: the file may end here
        while True:
            if not data:
                data = fh.read(_CHUNK)
                if not data:
                    if not between:
                        raise OSError(f"{path}: the gzip file is cut short")
                    return
            between = False
            out = d.decompress(data, _CHUNK * 16)
            if out:
                yield out
            if d.eof:  # the next member starts in what is left
                data, d, between = d.unused_data, zlib.decompressobj(31), True
            else:
                data = d.unconsumed_tail


class SiteFiles(StaticFiles):
    """``StaticFiles`` that sends ``.gz`` files as downloads and answers a plain name
    from its ``.gz`` sibling (see the module docstring)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        # a file that exists is answered as StaticFiles answers it, with no look-up more;
        # on a miss it answers the site's 404 page (or raises): then the .gz sibling
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or path.endswith(".gz"):
                raise
            response = None
        if response is not None and (response.status_code != 404 or path.endswith(".gz")):
            return response
        found = await self._compressed(path, scope)
        if found is not None:
            return found
        if response is None:
            raise HTTPException(status_code=404)
        return response

    def file_response(self, full_path, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if str(full_path).endswith(".gz") and response.status_code != 304:
            response.headers["content-type"] = GZIP
        return response

    async def _compressed(self, path: str, scope: Scope) -> Response | None:
        """The answer for ``path`` (which does not exist) from ``path.gz``, if that does."""
        try:
            full, st = await anyio.to_thread.run_sync(self.lookup_path, path + ".gz")
        except (OSError, ValueError):
            return None
        if st is None or not stat.S_ISREG(st.st_mode):
            return None
        headers = Headers(scope=scope)
        h = {"ETag": f'"{st.st_mtime_ns:x}-{st.st_size:x}-d"'}
        if not_modified(headers, h["ETag"], st.st_mtime):
            return Response(status_code=304, headers=h)
        media = media_type_of(path)
        if scope.get("powers.head"):  # HEAD: the headers alone, nothing decompressed
            response = Response(media_type=media, headers=h)
            del response.headers["content-length"]  # not 0: the length is not known
            return response
        return StreamingResponse(_gunzip(full), media_type=media, headers=h)
