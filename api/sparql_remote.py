"""SPARQL queries answered by an external SPARQL 1.1 store instead of the embedded Oxigraph.

``RemoteSparql`` is a drop-in for ``sparql_pool.SparqlPool`` (``run(job)``, ``ready``,
``triples``, ``start()``, ``close()``), selected by the ``sparql_backend`` setting
(``powers serve --sparql-backend URL``). The route has already refused updates,
``SERVICE``, oversized and over-nested queries before anything reaches this module, so
nothing but a screened read query is ever sent.

Which data answers: a store filled by ``powers publish`` holds one named graph per release
and a pointer graph naming the current one (see ``registry.publish``). Every ``refresh``
seconds the pointer is read again, and each query is sent with the current release as its
``default-graph-uri`` (unless the client named its own default graphs, e.g. a past release).
A store without a pointer graph is queried as it is, so any endpoint can stand behind
the API.

Limits are the embedded engine's: the same time limit (as the HTTP timeout, and an overall
deadline while the answer streams in), the same result-size cap (reading stops past it),
the same result formats, and at most ``concurrency`` queries in flight. Remote errors are
mapped to the API's error codes. Standard library HTTP only; no web framework.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from registry.publish import POINTER, VOID, current_release_query

from . import errors
from .negotiation import choose
from .sparql import skeleton
from .sparql_pool import CANONICAL, GRAPH_TYPES, RESULT_TYPES, Answer, Job

USER_AGENT = "powers-api/0.1 (+https://powers.example.org/)"
_PROLOGUE = re.compile(r"^(?:\s|\u0000)*(?:(?:PREFIX\s+[^\s:]*:|BASE)(?:\s|\u0000)*)*", re.I)
_FORM = re.compile(r"[A-Za-z]+")
_DEFAULT_MEDIA = {("graph", "JSON_LD"): "application/ld+json",
                  ("graph", "RDF_XML"): "application/rdf+xml",
                  ("solutions", "JSON"): "application/sparql-results+json",
                  ("solutions", "XML"): "application/sparql-results+xml"}


@dataclass
class RemoteAnswer(Answer):
    """An answer from the external store; ``release`` is the graph that answered ('' when
    the store has no release pointer). Never kept in the response cache: the store's data
    changes when a new release is published."""

    release: str = ""


def query_form(query: str) -> str:
    """``solutions``, ``boolean`` or ``graph``: what kind of result the query makes."""
    rest = _PROLOGUE.sub("", skeleton(query), count=1)
    m = _FORM.match(rest)
    word = m.group().upper() if m else ""
    if word in ("CONSTRUCT", "DESCRIBE"):
        return "graph"
    if word == "ASK":
        return "boolean"
    return "solutions"


def response_media(kind: str, accept: str | None) -> str:
    """The media type to ask the store for (the one the embedded engine would answer
    with); raises ``NotAcceptable`` when none of the client's types fits the result."""
    table = GRAPH_TYPES if kind == "graph" else RESULT_TYPES
    media = choose(accept, list(table))
    if media is None:
        raise errors.NotAcceptable([t for t in table if CANONICAL.get(t, t)])
    canonical = CANONICAL.get(media, media)
    if canonical is None:
        canonical = _DEFAULT_MEDIA[("graph" if kind == "graph" else "solutions", table[media])]
    return canonical


class RemoteSparql:
    """The query endpoint of an external SPARQL 1.1 store, behind the API's limits."""

    def __init__(self, endpoint: str, *, timeout: float = 10.0, concurrency: int = 8,
                 refresh: float = 2.0):
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"sparql_backend 不是 http(s) 网址：{endpoint} / sparql_backend is "
                             f"not an http(s) URL: {endpoint}")
        self.endpoint = endpoint
        self.timeout = timeout
        self.refresh = refresh
        self.triples = 0
        self.release: str | None = None
        self._release_at = 0.0
        self._release_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._opener = urllib.request.build_opener()
        self._ready = threading.Event()
        self._closed = False
        self.started_at = time.time()
        self.ready_at: float | None = None

    # --- life cycle (as SparqlPool) ----------------------------------------------------
    def start(self, wait: bool = False) -> RemoteSparql:
        """Probe the store in the background (``wait``: until it answered or gave up)."""
        thread = threading.Thread(target=self._probe, name="sparql-remote-probe", daemon=True)
        thread.start()
        if wait:
            thread.join(self.timeout + 1)
        return self

    def _probe(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                release = self.current_release(force=True)
                self.triples = self._count(release)
                self.ready_at = time.time()
                self._ready.set()
                return
            except errors.ApiError:
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def close(self) -> None:
        self._closed = True

    # --- the pointer -----------------------------------------------------------------------
    def current_release(self, force: bool = False) -> str | None:
        """The release graph readers are sent to (re-read every ``refresh`` seconds)."""
        now = time.monotonic()
        if not force and now - self._release_at < self.refresh:
            return self.release
        with self._release_lock:
            if not force and time.monotonic() - self._release_at < self.refresh:
                return self.release
            body = self._post({"query": current_release_query()},
                              "application/sparql-results+json", self.timeout, 1_000_000)[1]
            self.release = _first_value(body, "release")
            self._release_at = time.monotonic()
            return self.release

    def _count(self, release: str | None) -> int:
        if release:
            query = (f"SELECT ?n WHERE {{ GRAPH <{release}> {{ <{release}> <{VOID}triples> ?n }} "
                     "} LIMIT 1")
        else:
            query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        body = self._post({"query": query}, "application/sparql-results+json", self.timeout,
                          1_000_000)[1]
        value = _first_value(body, "n")
        return int(value) if value and value.isdigit() else 0

    # --- queries -----------------------------------------------------------------------------
    def run(self, job: Job, timeout: float | None = None) -> RemoteAnswer:
        """Send ``job`` to the store within ``timeout`` seconds; raises an ``ApiError``."""
        timeout = self.timeout if timeout is None else timeout
        kind = query_form(job.query)
        media = response_media(kind, job.accept)
        if not self._slots.acquire(timeout=timeout):
            raise errors.Busy("外部 SPARQL 存储的并发查询已满，请稍后再试。/ Every slot for the "
                              "external SPARQL store is busy; try again shortly.")
        try:
            started = time.perf_counter()
            release = self.current_release() if not job.default_graphs else None
            params: list[tuple[str, str]] = [("query", job.query)]
            params += [("default-graph-uri", g) for g in job.default_graphs]
            if release and not job.default_graphs:
                params.append(("default-graph-uri", release))
            params += [("named-graph-uri", g) for g in job.named_graphs]
            remaining = max(0.1, timeout - (time.perf_counter() - started))
            content_type, body = self._post(params, media, remaining, job.max_bytes)
        finally:
            self._slots.release()
        if content_type and not _same_type(content_type, media):
            raise errors.QueryFailed(
                f"外部 SPARQL 存储返回了 {content_type}，而非所要求的 {media}。/ The external "
                f"SPARQL store answered {content_type}, not the {media} asked for.")
        return RemoteAnswer(media, body, kind, time.perf_counter() - started,
                            release=release or "")

    def _post(self, params, accept: str, timeout: float, max_bytes: int) -> tuple[str, bytes]:
        """POST a form-encoded protocol request; (content type, body) of a 2xx answer."""
        data = urllib.parse.urlencode(params).encode("utf-8")
        req = urllib.request.Request(self.endpoint, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": accept,
            "User-Agent": USER_AGENT})
        deadline = time.monotonic() + timeout
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                chunks, size = [], 0
                while True:
                    if time.monotonic() > deadline:
                        raise errors.QueryTimeout(timeout)
                    chunk = resp.read(65_536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise errors.ResultTooLarge(max_bytes)
                    chunks.append(chunk)
                return resp.headers.get("Content-Type", ""), b"".join(chunks)
        except urllib.error.HTTPError as exc:
            raise _http_error(exc, accept, timeout) from None
        except TimeoutError:
            raise errors.QueryTimeout(timeout) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise errors.QueryTimeout(timeout) from None
            raise errors.SparqlUnavailable(
                f"无法连接外部 SPARQL 存储：{exc.reason}。/ The external SPARQL store cannot be "
                f"reached: {exc.reason}.") from None
        except (ConnectionError, OSError) as exc:
            raise errors.SparqlUnavailable(
                f"与外部 SPARQL 存储的连接中断：{exc}。/ The connection to the external SPARQL "
                f"store broke: {exc}.") from None


def _excerpt(exc: urllib.error.HTTPError, limit: int = 300) -> str:
    try:
        raw = exc.read(4096)
    except OSError:
        raw = b""
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def _http_error(exc: urllib.error.HTTPError, accept: str, timeout: float) -> errors.ApiError:
    """The API error for an HTTP error of the store."""
    detail = _excerpt(exc)
    status = exc.code
    if status in (408, 504) or "timeout" in detail.lower():
        return errors.QueryTimeout(timeout)
    if status == 400:
        return errors.MalformedQuery(f"外部 SPARQL 存储拒绝了查询 / The external SPARQL store "
                                     f"rejected the query: {detail}")
    if status == 406:
        return errors.NotAcceptable([accept])
    if status in (413, 414):
        return errors.TooLarge(f"外部 SPARQL 存储认为请求过大。/ The external SPARQL store found "
                               f"the request too large: {detail}")
    if status in (429, 503):
        return errors.Busy(f"外部 SPARQL 存储繁忙，请稍后再试。/ The external SPARQL store is busy; "
                           f"try again shortly. {detail}")
    if status in (401, 403, 404, 405):
        return errors.SparqlUnavailable(
            f"外部 SPARQL 存储不接受查询（HTTP {status}）。/ The external SPARQL store does not "
            f"take queries here (HTTP {status}): {detail}")
    return errors.QueryFailed(f"外部 SPARQL 存储出错（HTTP {status}）/ The external SPARQL store "
                              f"failed (HTTP {status}): {detail}")


def _same_type(content_type: str, media: str) -> bool:
    got = content_type.split(";")[0].strip().lower()
    if got == media:
        return True
    # equivalent names stores use
    return {got, media} <= {"application/sparql-results+json", "application/json"} or \
        {got, media} <= {"application/sparql-results+xml", "application/xml", "text/xml"} or \
        {got, media} <= {"text/turtle", "application/x-turtle"} or \
        {got, media} <= {"application/n-triples", "text/plain"}


def _first_value(body: bytes, name: str) -> str | None:
    import json

    try:
        rows = json.loads(body)["results"]["bindings"]
    except (ValueError, KeyError, TypeError):
        raise errors.QueryFailed("外部 SPARQL 存储的应答不是 SPARQL JSON 结果。/ The external "
                                 "SPARQL store did not answer with SPARQL JSON results.") from None
    return rows[0][name]["value"] if rows and name in rows[0] else None


__all__ = ["POINTER", "RemoteAnswer", "RemoteSparql", "query_form", "response_media"]
