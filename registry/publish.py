"""Publishing a build to an external SPARQL 1.1 store, one named graph per release.

The protocol (see docs/SCALING.md, "Publishing to a SPARQL store"):

1. **Upload** every triple of the build (accepted records, code lists, ontology) into a
   new named graph ``<https://powers.example.org/release/<id>>`` with the SPARQL 1.1 Graph
   Store HTTP Protocol: ``PUT`` of the first chunk of N-Triples, then ``POST`` (merge) of
   each further chunk, so no request is larger than ``chunk_bytes`` and the build is never
   one string in memory. The release's own description (``void:triples`` …) is the last
   chunk. Nobody reads this graph yet.
2. **Verify**: ``SELECT (COUNT(*) …) { GRAPH <release> … }`` must equal the triples sent;
   otherwise the release graph is dropped and the pointer is left alone.
3. **Switch** with one SPARQL UPDATE request (one transaction), a compare-and-swap on the
   pointer graph ``<https://powers.example.org/release/current>``::

       <…/release/current> dcat:hasCurrentVersion <release> ; dcat:hasVersion <release> .

   Readers (``powers serve --sparql-backend``) read the pointer and query the graph it
   names as their default graph, so they see the old release until this one request
   commits and the new one after; never a half-loaded graph.
4. **Prune**: releases older than the newest ``keep`` (default 2: the current one and the
   one before, which readers that have not refreshed their pointer may still be reading)
   are dropped.

Only the standard library speaks HTTP here (``urllib.request``); every request has a
time limit and every failure is a ``PublishError`` with a bilingual message.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from .namespaces import BASE, DCAT, DCTERMS, XSD
from .snapshot import Snapshot, load_snapshot
from .source import SourceFile

RELEASES = BASE + "release/"
#: The pointer graph (and its subject): which release readers see.
POINTER = RELEASES + "current"
VOID = "http://rdfs.org/ns/void#"
CURRENT = DCAT + "hasCurrentVersion"
VERSION = DCAT + "hasVersion"

#: Default size of one upload request (bytes of N-Triples).
CHUNK_BYTES = 8_000_000
USER_AGENT = "powers-publish/0.1 (+https://powers.example.org/)"


class PublishError(RuntimeError):
    """Publishing failed; the message is bilingual and says what to do."""


# --- where the store listens ------------------------------------------------------------

#: Path of the query, update and Graph Store endpoints below a server's base URL, the name
#: of the Graph Store's graph parameter, the media type sent for N-Triples and extra
#: parameters of upload requests.
LAYOUTS: dict[str, tuple[str, str, str, str, str, str]] = {
    # no_transaction: Oxigraph's bulk loader, 3-5x faster. Safe here: nobody reads a release
    # graph before it is counted and the pointer moves to it.
    "oxigraph": ("/query", "/update", "/store", "graph", "application/n-triples",
                 "no_transaction"),
    "fuseki": ("/query", "/update", "/data", "graph", "application/n-triples", ""),
    # Virtuoso 7: updates through /sparql need GRANT SPARQL_UPDATE (see docs/SCALING.md)
    "virtuoso": ("/sparql", "/sparql", "/sparql-graph-crud", "graph", "application/n-triples",
                 ""),
}


@dataclass(frozen=True)
class Endpoints:
    """The three URLs of a SPARQL 1.1 server: query, update, Graph Store Protocol."""

    query: str
    update: str
    store: str
    graph_param: str = "graph"
    media_type: str = "application/n-triples"
    upload_params: str = ""

    @classmethod
    def for_server(cls, url: str, layout: str = "oxigraph", *, query: str | None = None,
                   update: str | None = None, store: str | None = None) -> Endpoints:
        """Endpoints below ``url`` as ``layout`` arranges them, each overridable."""
        if layout not in LAYOUTS:
            raise PublishError(f"未知的服务器布局 {layout}，应为 {' | '.join(LAYOUTS)}。/ Unknown "
                               f"server layout {layout}: expected one of {', '.join(LAYOUTS)}.")
        for u in (url, query, update, store):
            if u is not None:
                _check_url(u)
        q, u, s, param, media, extra = LAYOUTS[layout]
        base = url.rstrip("/")
        return cls(query=query or base + q, update=update or base + u, store=store or base + s,
                   graph_param=param, media_type=media, upload_params=extra)


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PublishError(f"不是 http(s) 网址：{url} / Not an http(s) URL: {url}")


# --- talking to the store ---------------------------------------------------------------

class StoreClient:
    """A SPARQL 1.1 server spoken to with ``urllib.request`` (Protocol + Graph Store)."""

    def __init__(self, endpoints: Endpoints, *, timeout: float = 120.0,
                 user: str | None = None, password: str | None = None):
        self.endpoints = endpoints
        self.timeout = timeout
        handlers: list = []
        if user:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in (endpoints.query, endpoints.update, endpoints.store):
                manager.add_password(None, url, user, password or "")
            handlers += [urllib.request.HTTPDigestAuthHandler(manager)]
            self._basic = "Basic " + base64.b64encode(
                f"{user}:{password or ''}".encode()).decode()
        else:
            self._basic = None
        self._opener = urllib.request.build_opener(*handlers)

    # --- plumbing -------------------------------------------------------------------
    def request(self, method: str, url: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float | None = None) -> bytes:
        """Send one request and return the body of a 2xx answer; raise ``PublishError``."""
        req = urllib.request.Request(url, data=body, method=method,
                                     headers={"User-Agent": USER_AGENT, **(headers or {})})
        if self._basic and urllib.parse.urlsplit(url).scheme == "https":
            req.add_header("Authorization", self._basic)  # digest is offered too (above)
        try:
            with self._opener.open(req, timeout=timeout or self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            detail = _excerpt(exc.read())
            raise PublishError(
                f"SPARQL 服务器拒绝了 {method} {_short(url)}：HTTP {exc.code} {exc.reason}。/ The "
                f"SPARQL server refused {method} {_short(url)}: HTTP {exc.code} {exc.reason}. "
                f"{_hint(exc.code)}{' — ' + detail if detail else ''}") from None
        except TimeoutError:
            raise PublishError(
                f"SPARQL 服务器在 {timeout or self.timeout:g} 秒内没有应答 {method} {_short(url)}。"
                f"/ The SPARQL server did not answer {method} {_short(url)} within "
                f"{timeout or self.timeout:g} s. 修正 Fix: 检查服务器负载，或用 --timeout 放宽 / "
                "check the server's load, or raise --timeout.") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise PublishError(
                    f"连接 SPARQL 服务器 {_short(url)} 超时。/ Connecting to the SPARQL server at "
                    f"{_short(url)} timed out.") from None
            raise PublishError(
                f"无法连接 SPARQL 服务器 {_short(url)}：{exc.reason}。/ Cannot reach the SPARQL "
                f"server at {_short(url)}: {exc.reason}. 修正 Fix: 检查网址和服务器是否在运行 / "
                "check the URL and that the server is running.") from None
        except (ConnectionError, OSError) as exc:
            raise PublishError(
                f"与 SPARQL 服务器的连接中断：{exc}。/ The connection to the SPARQL server broke: "
                f"{exc}.") from None

    def _graph_url(self, graph: str, upload: bool = False) -> str:
        sep = "&" if "?" in self.endpoints.store else "?"
        query = urllib.parse.urlencode({self.endpoints.graph_param: graph})
        if upload and self.endpoints.upload_params:
            query += "&" + self.endpoints.upload_params
        return self.endpoints.store + sep + query

    # --- Graph Store Protocol ---------------------------------------------------------
    def put_graph(self, graph: str, body: bytes) -> None:
        """Replace ``graph`` with ``body`` (N-Triples)."""
        self.request("PUT", self._graph_url(graph, upload=True), body,
                     {"Content-Type": self.endpoints.media_type})

    def post_graph(self, graph: str, body: bytes) -> None:
        """Add the triples of ``body`` (N-Triples) to ``graph``."""
        self.request("POST", self._graph_url(graph, upload=True), body,
                     {"Content-Type": self.endpoints.media_type})

    # --- SPARQL 1.1 Protocol ------------------------------------------------------------
    def select(self, query: str) -> list[dict[str, str]]:
        """Run a SELECT; each solution as ``{variable: lexical value}``."""
        raw = self.request("POST", self.endpoints.query,
                           urllib.parse.urlencode({"query": query}).encode(),
                           {"Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "application/sparql-results+json"})
        try:
            data = json.loads(raw)
            return [{k: v["value"] for k, v in row.items()}
                    for row in data["results"]["bindings"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise PublishError(f"SPARQL 服务器的应答不是 SPARQL JSON 结果。/ The SPARQL server did "
                               f"not answer with SPARQL JSON results: {_excerpt(raw)}") from exc

    def update(self, text: str) -> None:
        """Run one SPARQL UPDATE request (one transaction on the server)."""
        self.request("POST", self.endpoints.update,
                     urllib.parse.urlencode({"update": text}).encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})

    # --- what publishing asks ------------------------------------------------------------
    def count(self, graph: str) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"]) if rows and "n" in rows[0] else 0

    def current_release(self) -> str | None:
        """The release the pointer names, or None (nothing published yet)."""
        rows = self.select(current_release_query())
        return rows[0]["release"] if rows else None

    def releases(self) -> list[tuple[str, str]]:
        """(release IRI, created) of every release the pointer graph lists, newest first."""
        rows = self.select(
            f"SELECT ?release ?created WHERE {{ GRAPH <{POINTER}> {{ <{POINTER}> <{VERSION}> "
            f"?release . OPTIONAL {{ ?release <{DCTERMS}created> ?created }} }} }}")
        newest: dict[str, str] = {}
        for r in rows:  # a release listed twice (published again) counts by its last date
            newest[r["release"]] = max(newest.get(r["release"], ""), r.get("created", ""))
        return sorted(newest.items(), key=lambda rc: (rc[1], rc[0]), reverse=True)

    def drop(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")


def current_release_query() -> str:
    """The SELECT that reads the pointer (``?release``); readers run the same."""
    return (f"SELECT ?release WHERE {{ GRAPH <{POINTER}> {{ <{POINTER}> <{CURRENT}> ?release }} }} "
            "LIMIT 1")


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "…"


def _excerpt(raw: bytes, limit: int = 300) -> str:
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def _hint(status: int) -> str:
    if status in (401, 403):
        return ("修正 Fix: 该账号需要写权限（--user，密码放在 POWERS_SPARQL_PASSWORD）/ the account "
                "needs write access (--user, password in POWERS_SPARQL_PASSWORD).")
    if status == 404:
        return ("修正 Fix: 检查端点路径或 --layout / check the endpoint paths or --layout.")
    if status == 413:
        return "修正 Fix: 用更小的 --chunk-mb / use a smaller --chunk-mb."
    return ""


# --- what is published ------------------------------------------------------------------

def release_files(snap: Snapshot) -> list[SourceFile]:
    """The files of a build: the records the snapshot accepted (a file that broke the record
    rules is left out, as on the site), every code list and the ontology."""
    accepted = {r.path for table in (snap.powers, snap.departments, snap.laws)
                for r in table.values()}
    return [f for path, f in sorted(snap.files.items())
            if path.endswith(".ttl") and f.data
            and (path in accepted or f.kind in ("vocabulary", "ontology"))]


def ntriples_chunks(files: Iterable[SourceFile], limit: int = CHUNK_BYTES
                    ) -> Iterator[tuple[bytes, int, int]]:
    """N-Triples of ``files`` in chunks of about ``limit`` bytes: ``(body, triples, files)``.

    A file is never split across chunks; its blank nodes get fresh random labels, so two
    files (or two releases) never share one by accident. Duplicate triples of a file are
    sent once, so the count sent is the count the store will hold.
    """
    parts: list[bytes] = []
    size = triples = n_files = 0
    for src in files:
        try:
            quads = ox.parse(src.data, format=ox.RdfFormat.TURTLE, rename_blank_nodes=True)
            body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)  # default graph: N-Triples
        except (SyntaxError, ValueError) as exc:
            raise PublishError(f"{src.path} 无法解析：{exc}。/ {src.path} cannot be parsed: "
                               f"{exc}. 修正 Fix: 运行 powers validate / run powers validate.") \
                from exc
        lines = body.split(b"\n")
        unique = list(dict.fromkeys(line for line in lines if line))
        if len(unique) != len(lines) - 1:
            body = b"\n".join(unique) + b"\n"
        if parts and size + len(body) > limit:
            yield b"".join(parts), triples, n_files
            parts, size, triples, n_files = [], 0, 0, 0
        parts.append(body)
        size += len(body)
        triples += len(unique)
        n_files += 1
    if parts:
        yield b"".join(parts), triples, n_files


def release_id(root: Path) -> str:
    """The commit of a clean git working tree (``data/`` unchanged), else a UTC timestamp."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        from .gitstore import GitError, Repo

        repo = Repo(root)
        head = repo.head()
        dirty = repo.run("status", "--porcelain", "--", "data", check=False).strip()
    except (GitError, OSError):
        return stamp
    return head[:12] if head and not dirty else stamp


def release_iri(release: str) -> str:
    """``https://powers.example.org/release/<id>`` (an id with unsafe characters is quoted)."""
    return RELEASES + urllib.parse.quote(release, safe="-._~")


def description(release: str, identifier: str, created: str, triples: int, powers: int
                ) -> bytes:
    """N-Triples describing the release inside its own graph (``void:triples`` counts all,
    these included)."""
    r, n, lit = ox.NamedNode(release), ox.NamedNode, ox.Literal
    integer = n(XSD + "integer")
    own = 5
    described = [
        ox.Triple(r, n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), n(VOID + "Dataset")),
        ox.Triple(r, n(DCTERMS + "identifier"), lit(identifier)),
        ox.Triple(r, n(DCTERMS + "created"), lit(created, datatype=n(XSD + "dateTime"))),
        ox.Triple(r, n(VOID + "triples"), lit(str(triples + own), datatype=integer)),
        ox.Triple(r, n(VOID + "entities"), lit(str(powers), datatype=integer)),
    ]
    assert len(described) == own
    return ox.serialize(described, format=ox.RdfFormat.N_TRIPLES)


def switch_update(release: str, expected: str | None, created: str | None = None,
                  identifier: str | None = None) -> str:
    """The one SPARQL UPDATE that moves the pointer from ``expected`` to ``release``.

    A compare-and-swap: it changes nothing unless the pointer still names ``expected``
    (or names nothing, for the first release), so two publishers cannot interleave. With
    ``created`` the release is also listed, with its date and identifier, in the pointer
    graph (which ``prune`` reads).
    """
    p = f"<{POINTER}>"
    if expected:
        where = f"GRAPH {p} {{ {p} <{CURRENT}> <{expected}> }} BIND(<{expected}> AS ?old)"
    else:
        where = f"FILTER NOT EXISTS {{ GRAPH {p} {{ {p} <{CURRENT}> ?any }} }}"
    listed = forget = ""
    if created is not None:
        ident = json.dumps(identifier or "")  # a valid SPARQL string literal
        listed = (f"\n  <{release}> <{DCTERMS}created> \"{created}\"^^<{XSD}dateTime> ; "
                  f"<{DCTERMS}identifier> {ident} .")
        # a release published again is listed once, with its new date
        forget = f"DELETE WHERE {{ GRAPH {p} {{ <{release}> ?p ?o }} }} ;\n"
    return (
        f"{forget}DELETE {{ GRAPH {p} {{ {p} <{CURRENT}> ?old }} }}\n"
        f"INSERT {{ GRAPH {p} {{ {p} <{CURRENT}> <{release}> ; <{VERSION}> <{release}> .{listed}"
        f" }} }}\nWHERE {{ {where} }}")


# --- the run ------------------------------------------------------------------------------

@dataclass
class PublishResult:
    release: str  # the release graph IRI
    identifier: str
    previous: str | None
    triples: int = 0
    files: int = 0
    requests: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    unchanged: bool = False  # the release was already current: nothing sent
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # step → seconds

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in (
            "release", "identifier", "previous", "triples", "files", "requests", "bytes_sent",
            "seconds", "unchanged", "dropped", "warnings", "timings")} | {"pointer": POINTER}


Progress = Callable[[int, int], None]  # (files sent, files in all)


def publish(root: Path, client: StoreClient, *, graph: str | None = None,
            snapshot: Snapshot | None = None, chunk_bytes: int = CHUNK_BYTES, keep: int = 2,
            progress: Progress | None = None) -> PublishResult:
    """Upload the build of ``root`` as a new release graph, verify it, switch the pointer.

    On any failure before the switch the partly uploaded graph is dropped and readers keep
    the previous release; raises ``PublishError``.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(step: str) -> None:
        timings[step] = round(time.perf_counter() - started - sum(timings.values()), 3)

    snap = snapshot if snapshot is not None else load_snapshot(root)
    files = release_files(snap)
    lap("snapshot")
    if not files:
        raise PublishError("没有可发布的记录。/ There is nothing to publish: no record was "
                           "accepted. 修正 Fix: 运行 powers validate / run powers validate.")
    identifier = release_id(root) if graph is None else graph.rstrip("/").rsplit("/", 1)[-1]
    release = graph or release_iri(identifier)
    if release == POINTER or not release.startswith(("http://", "https://", "urn:")):
        raise PublishError(f"发布图的 IRI 不可用：{release} / Unusable release graph IRI: "
                           f"{release} (an absolute IRI other than {POINTER}).")
    previous = client.current_release()
    result = PublishResult(release=release, identifier=identifier, previous=previous,
                           timings=timings)
    if previous == release:
        result.unchanged = True
        result.seconds = time.perf_counter() - started
        return result
    created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        for body, triples, n_files in _prefetched(ntriples_chunks(files, chunk_bytes)):
            (client.put_graph if result.requests == 0 else client.post_graph)(release, body)
            result.requests += 1
            result.bytes_sent += len(body)
            result.triples += triples
            result.files += n_files
            if progress:
                progress(result.files, len(files))
        tail = description(release, identifier, created, result.triples, len(snap.powers))
        client.post_graph(release, tail)
        result.requests += 1
        result.bytes_sent += len(tail)
        result.triples += tail.count(b"\n")
        lap("upload")
        stored = client.count(release)
        lap("verify")
        if stored != result.triples:
            raise PublishError(
                f"服务器上的发布图有 {stored:,} 个三元组，应为 {result.triples:,}。/ The release "
                f"graph holds {stored:,} triples on the server, {result.triples:,} were sent.")
        client.update(switch_update(release, previous, created, identifier))
        now = client.current_release()
        if now != release:
            raise PublishError(
                f"指针未切换：另一次发布已把它改为 {now}。/ The pointer did not move: another "
                f"publish changed it to {now} meanwhile. 修正 Fix: 重新运行 / run again.")
        lap("switch")
    except BaseException:
        if _current_or_none(client) != release:
            with contextlib.suppress(PublishError):
                client.drop(release)
        raise
    result.dropped, result.warnings = prune(client, keep, current=release)
    lap("prune")
    result.seconds = time.perf_counter() - started
    return result


def _prefetched(chunks: Iterator[tuple[bytes, int, int]]) -> Iterator[tuple[bytes, int, int]]:
    """The chunks, each made in a thread while the previous one is being uploaded (the
    server ingests while we parse; at most two chunks are in memory)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish-chunks") as pool:
        pending = pool.submit(next, chunks, None)
        while True:
            item = pending.result()
            if item is None:
                return
            pending = pool.submit(next, chunks, None)
            yield item


def prune(client: StoreClient, keep: int, current: str) -> tuple[list[str], list[str]]:
    """Drop the release graphs past the newest ``keep`` (never the current one)."""
    dropped: list[str] = []
    warnings: list[str] = []
    try:
        old = [r for r, _ in client.releases() if r != current][max(0, keep - 1):]
    except PublishError as exc:
        return [], [str(exc)]
    for release in old:
        try:
            client.update(
                f"DROP SILENT GRAPH <{release}> ;\n"
                f"DELETE WHERE {{ GRAPH <{POINTER}> {{ <{POINTER}> <{VERSION}> <{release}> }} }} ;\n"
                f"DELETE WHERE {{ GRAPH <{POINTER}> {{ <{release}> ?p ?o }} }}")
            dropped.append(release)
        except PublishError as exc:
            warnings.append(str(exc))
    return dropped, warnings


def _current_or_none(client: StoreClient) -> str | None:
    try:
        return client.current_release()
    except PublishError:
        return None


def activate(client: StoreClient, release: str) -> str | None:
    """Move the pointer to an existing release (a roll-back); returns the previous one."""
    if client.count(release) == 0:
        raise PublishError(f"服务器上没有发布图 {release}。/ The server holds no release graph "
                           f"{release}.")
    previous = client.current_release()
    if previous != release:
        client.update(switch_update(release, previous))
        if client.current_release() != release:
            raise PublishError("指针未切换：另一次发布同时进行。/ The pointer did not move: "
                               "another publish ran at the same time.")
    return previous
