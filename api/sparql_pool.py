"""SPARQL queries in worker processes that can be killed: a time limit that really holds.

Oxigraph cannot interrupt a running query, and a hostile query can even crash it (a
query nested a few thousand levels deep overflows its parser's stack). So no query runs
in the server process. A *zygote* process loads the store once (about a second for the
sample); each worker is a ``fork`` of the zygote, sharing the store's memory, and runs one
query at a time. When a query passes its time limit the server kills that worker and
the zygote forks a fresh one in milliseconds; the other workers keep answering.

Graphs: every record file is loaded into its own named graph (the record's IRI; a code
list's scheme IRI; otherwise the registry base IRI + the file's path), and the default
graph is the union of all of them unless the request names its default graphs.

This module imports no web framework; ``api.routes.sparql`` drives it.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from pathlib import Path, PurePosixPath

from . import errors

#: SELECT/ASK result media types → pyoxigraph QueryResultsFormat name, our order.
RESULT_TYPES = {
    "application/sparql-results+json": "JSON",
    "application/sparql-results+xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
    "application/json": "JSON",
    "application/xml": "XML",
    "text/xml": "XML",
}
#: CONSTRUCT/DESCRIBE result media types → pyoxigraph RdfFormat name, our order.
GRAPH_TYPES = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/ld+json": "JSON_LD",
    "application/rdf+xml": "RDF_XML",
    "application/x-turtle": "TURTLE",
    "text/plain": "N_TRIPLES",
    "application/json": "JSON_LD",
    "application/x-json+ld": "JSON_LD",
    "application/xml": "RDF_XML",
}
#: What a response says it is, when the client asked with an alias.
CANONICAL = {"application/json": None, "application/xml": None, "text/xml": None,
             "application/x-turtle": "text/turtle", "text/plain": "application/n-triples",
             "application/x-json+ld": "application/ld+json"}


#: Functions whose result changes from one run to the next: such queries are not cached.
_VOLATILE = re.compile(r"\b(RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.I)


@dataclass
class Job:
    query: str
    accept: str | None = None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_bytes: int = 25_000_000


@dataclass
class Answer:
    media_type: str
    body: bytes
    kind: str  # "solutions" | "boolean" | "graph"
    seconds: float


# --- the store ---------------------------------------------------------------------------

def graph_name(path: str, triples) -> str:
    """The named graph a file is loaded into (see the module docstring)."""
    import pyoxigraph as ox

    from registry.namespaces import BASE, DEPT, LAW, POWER

    for folder, namespace in (("data/powers", POWER), ("data/departments", DEPT),
                              ("data/laws", LAW)):
        if path.startswith(folder + "/"):
            return namespace + PurePosixPath(path).stem
    heads = {"http://www.w3.org/2002/07/owl#Ontology",
             "http://www.w3.org/2004/02/skos/core#ConceptScheme"}
    found = {t.subject.value for t in triples
             if t.predicate.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
             and isinstance(t.object, ox.NamedNode) and t.object.value in heads
             and isinstance(t.subject, ox.NamedNode)}
    if len(found) == 1:
        return found.pop()
    return BASE + path


def load_store(files: list[tuple[str, bytes]]):
    """An in-memory Oxigraph store with one named graph per parseable file."""
    import pyoxigraph as ox

    from registry.namespaces import DEPT, LAW, POWER

    store = ox.Store()
    folders = (("data/powers/", POWER), ("data/departments/", DEPT), ("data/laws/", LAW))
    for path, data in files:
        if not data:
            continue
        namespace = next((ns for folder, ns in folders if path.startswith(folder)), None)
        try:
            if namespace is not None:  # records: the graph is named after the record
                graph = ox.NamedNode(namespace + PurePosixPath(path).stem)
                store.load(data, format=ox.RdfFormat.TURTLE, to_graph=graph)
            else:  # code lists, ontology: named after the scheme or ontology they hold
                triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE)]
                graph = ox.NamedNode(graph_name(path, triples))
                store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        except (SyntaxError, ValueError, OSError):
            continue  # a broken file is left out (validate reports it)
    return store


class _CappedWriter(io.RawIOBase):
    """A bytes buffer that refuses to grow past ``limit`` (stops a runaway serialisation)."""

    def __init__(self, limit: int):
        self.buffer = bytearray()
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(self.buffer) + len(data) > self.limit:
            raise OverflowError("result too large")
        self.buffer += data
        return len(data)


def run_query(store, job: Job) -> tuple[str, object]:
    """Execute one job against ``store``: ("ok", Answer) or ("error", (code, message))."""
    import pyoxigraph as ox

    from .negotiation import choose

    started = time.perf_counter()
    kwargs: dict = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        result = store.query(job.query, **kwargs)
    except SyntaxError as exc:
        return "error", ("MALFORMED_QUERY", f"SPARQL 语法错误 / SPARQL syntax error: {exc}")
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        return "error", ("QUERY_FAILED", f"查询失败 / The query failed: {exc}")
    if isinstance(result, ox.QueryTriples):
        kind, table = "graph", GRAPH_TYPES
    elif isinstance(result, ox.QueryBoolean):
        kind, table = "boolean", RESULT_TYPES
    else:
        kind, table = "solutions", RESULT_TYPES
    media = choose(job.accept, list(table))
    if media is None:
        return "error", ("NOT_ACCEPTABLE", ", ".join(t for t in table if CANONICAL.get(t, t)))
    fmt_name = table[media]
    out = _CappedWriter(job.max_bytes)
    try:
        if kind == "graph":
            result.serialize(out, format=getattr(ox.RdfFormat, fmt_name))
        else:
            result.serialize(out, format=getattr(ox.QueryResultsFormat, fmt_name))
    except OverflowError:
        return "error", ("RESULT_TOO_LARGE", str(job.max_bytes))
    except (OSError, ValueError, RuntimeError) as exc:
        if "too large" in str(exc):
            return "error", ("RESULT_TOO_LARGE", str(job.max_bytes))
        return "error", ("QUERY_FAILED", f"查询失败 / The query failed: {exc}")
    canonical = CANONICAL.get(media, media) or _canonical_default(kind, fmt_name)
    return "ok", Answer(canonical, bytes(out.buffer), kind, time.perf_counter() - started)


def _canonical_default(kind: str, fmt_name: str) -> str:
    if kind == "graph":
        return {"JSON_LD": "application/ld+json", "RDF_XML": "application/rdf+xml"}[fmt_name]
    return {"JSON": "application/sparql-results+json",
            "XML": "application/sparql-results+xml"}[fmt_name]


# --- processes -----------------------------------------------------------------------------

def _limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at what it has now plus ``extra_mb``."""
    if extra_mb <= 0:
        return
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[0])
        current = pages * os.sysconf("SC_PAGE_SIZE")
        limit = current + extra_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        pass


def _worker_loop(conn: Connection, store, memory_mb: int) -> None:
    _limit_memory(memory_mb)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(run_query(store, job))
        except MemoryError:
            conn.send(("error", ("QUERY_FAILED", "查询所需内存超限 / The query needs too much "
                                                 "memory.")))
        except (BrokenPipeError, OSError):
            return


def zygote_entry(fd: int, memory_mb: int) -> None:
    """Entry point of the zygote process (started by ``SparqlPool``)."""
    _zygote_main(Connection(fd), memory_mb)


def _zygote_main(conn: Connection, memory_mb: int) -> None:
    """Load the store, then fork a worker each time the server asks for one."""
    import gc

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    files = conn.recv()
    store = load_store(files)
    del files
    gc.collect()
    gc.freeze()  # keep the forked workers from copying pages the GC would touch
    conn.send(("ready", len(store)))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg != "fork":
            return
        ctx = get_context("fork")
        parent_end, child_end = ctx.Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                conn.close()
                parent_end.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker_loop(child_end, store, memory_mb)
            finally:
                os._exit(0)
        child_end.close()
        send_handle(conn, parent_end.fileno(), os.getppid())
        conn.send(pid)
        parent_end.close()


class _Worker:
    def __init__(self, pid: int, conn: Connection):
        self.pid = pid
        self.conn = conn

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.conn.close()


class SparqlPool:
    """A zygote holding the store and ``workers`` forked query processes."""

    def __init__(self, files: list[tuple[str, bytes]], *, workers: int = 2,
                 timeout: float = 10.0, memory_mb: int = 2048,
                 cache_bytes: int = 64 * 1024 * 1024):
        self.files = files
        self.size = max(1, workers)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.triples = 0
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._zygote = None
        self._zconn: Connection | None = None
        self._zlock = threading.Lock()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._closed = False
        self.started_at = time.time()
        self.ready_at: float | None = None
        self._cache: OrderedDict[tuple, Answer] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = cache_bytes
        self._cache_lock = threading.Lock()

    # --- life cycle ------------------------------------------------------------------
    def start(self, wait: bool = False) -> SparqlPool:
        """Start the zygote and workers in the background (``wait``: until they are ready)."""
        thread = threading.Thread(target=self._boot, name="sparql-boot", daemon=True)
        thread.start()
        if wait:
            self._ready.wait()
        return self

    def _boot(self) -> None:
        try:
            self._start_zygote()
            for _ in range(self.size):
                self._idle.put(self._fork())
            self.ready_at = time.time()
            self._ready.set()
        except BaseException as exc:  # reported to every query that waits
            self._failed = exc
            self._ready.set()

    def _start_zygote(self) -> None:
        # a fresh interpreter (not multiprocessing's spawn, which re-imports __main__)
        mine, theirs = socket.socketpair()
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from api.sparql_pool import zygote_entry; "
             "zygote_entry(int(sys.argv[1]), int(sys.argv[2]))",
             str(theirs.fileno()), str(self.memory_mb)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, close_fds=True,
            env=_child_env())
        theirs.close()
        conn = Connection(mine.detach())
        try:
            conn.send(self.files)
            status, count = conn.recv()
        except (EOFError, OSError):
            proc.kill()
            raise
        self.triples = count
        self._zygote, self._zconn = proc, conn

    def _fork(self) -> _Worker:
        with self._zlock:
            if self._closed:
                raise errors.Busy("服务正在关闭。/ The server is shutting down.")
            if self._zygote is None or self._zygote.poll() is not None:
                self._start_zygote()
            assert self._zconn is not None
            self._zconn.send("fork")
            fd = recv_handle(self._zconn)
            pid = self._zconn.recv()
        worker = _Worker(pid, Connection(fd))
        self._all.add(worker)
        return worker

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._failed is None

    def close(self) -> None:
        self._closed = True
        for w in list(self._all):
            w.kill()
        self._all.clear()
        with self._zlock:
            if self._zconn is not None:
                with contextlib.suppress(OSError):
                    self._zconn.send("exit")
                    self._zconn.close()
            if self._zygote is not None:
                try:
                    self._zygote.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    self._zygote.kill()
                    self._zygote.wait(timeout=2)
            self._zygote = None

    # --- queries -----------------------------------------------------------------------
    def run(self, job: Job, timeout: float | None = None) -> Answer:
        """The answer to ``job``: from the result cache (the data never changes while
        served; queries using RAND, NOW, UUID, STRUUID or BNODE are not cached) or from a
        free worker within ``timeout`` seconds. Raises an ``ApiError``."""
        key = (job.query, job.accept, job.default_graphs, job.named_graphs, job.max_bytes)
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        answer = self._execute(job, timeout)
        if self._cache_limit and not _VOLATILE.search(job.query) and \
                len(answer.body) <= self._cache_limit // 16:
            with self._cache_lock:
                self._cache[key] = answer
                self._cache_bytes += len(answer.body)
                while self._cache_bytes > self._cache_limit and self._cache:
                    _, old = self._cache.popitem(last=False)
                    self._cache_bytes -= len(old.body)
        return answer

    def _execute(self, job: Job, timeout: float | None) -> Answer:
        timeout = self.timeout if timeout is None else timeout
        if not self._ready.wait(timeout=max(timeout, 30.0)):
            raise errors.Busy("SPARQL 服务仍在启动，请稍后再试。/ The SPARQL service is still "
                              "starting; try again shortly.")
        if self._failed is not None:
            raise errors.QueryFailed(f"SPARQL 服务未能启动 / The SPARQL service failed to start: "
                                     f"{self._failed}")
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise errors.Busy("所有 SPARQL 工作进程都在忙，请稍后再试。/ Every SPARQL worker is "
                              "busy; try again shortly.") from None
        try:
            worker.conn.send(job)
            if not worker.conn.poll(timeout):
                self._replace(worker)
                worker = None
                raise errors.QueryTimeout(timeout)
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            if worker is not None:
                self._replace(worker)
                worker = None
            raise errors.QueryFailed("查询使工作进程退出（内存或嵌套过深），已重启。/ The query "
                                     "made its worker exit (memory or nesting); it was "
                                     "restarted.") from None
        finally:
            if worker is not None:
                self._idle.put(worker)
        if status == "ok":
            return payload
        code, message = payload
        raise _error(code, message, job)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        try:
            self._idle.put(self._fork())
        except Exception:  # the next query will try again through the zygote
            threading.Thread(target=self._retry_fork, daemon=True).start()

    def _retry_fork(self) -> None:
        for delay in (0.5, 1, 2, 5, 10):
            time.sleep(delay)
            try:
                self._idle.put(self._fork())
                return
            except Exception:
                continue


def _child_env() -> dict[str, str]:
    """The environment of a helper process: ours, with this checkout importable first."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _error(code: str, message: str, job: Job) -> errors.ApiError:
    if code == "MALFORMED_QUERY":
        return errors.MalformedQuery(message)
    if code == "RESULT_TOO_LARGE":
        return errors.ResultTooLarge(job.max_bytes)
    if code == "NOT_ACCEPTABLE":
        return errors.NotAcceptable(message.split(", "))
    return errors.QueryFailed(message)
