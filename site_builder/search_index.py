"""The site's search index: Pagefind, fed page by page while the site is rendered.

Pagefind's extended binary segments Chinese (``force_language`` zh-cn), splits the index
into small chunks a browser fetches on demand, and needs no server. What is indexed is
decided in the templates: only ``data-pagefind-body`` regions (power, department and law
pages) minus ``data-pagefind-ignore`` parts; titles and codes are ``data-pagefind-meta``;
department, type, level, star rating and status are ``data-pagefind-filter`` facets.

The bundle is written to a content-addressed folder (``pagefind/0-<key>/``) named in
``pagefind/shards.json``, so a new index never overwrites one a browser is reading, and a
build whose searchable pages are unchanged reuses the previous bundle.

Why one bundle (``SHARDS = 1``): Pagefind cannot update an index, so the lead design was
to split it into shards and rebuild only the shard of a changed page. Measured on the
shipped data with 8 shards: a query word that a shard lacks is dropped there, or
replaced by its longest indexed prefix (a 12-digit code matched "33" in the 7 shards
without it: 12 results instead of 1); and a query fetched 330–690 KB instead of
260–290 KB. Search that is right and light matters more than the rebuild time, so the
index is one bundle; the code still supports more for whoever fixes the first problem.

Two facts measured with pagefind 1.5.2 shaped this module: its Python wrapper sleeps
0.1 s before reading each response (0.1 s a page: 444 s for 4,280 pages), so
``ShardIndexer`` speaks the service's protocol itself and reads answers as they come; and
the service indexes in its own process, so feeding it while Python renders puts the
second core to work.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import subprocess
import threading
import time
import zlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

BUNDLE = "pagefind"
SHARDS_FILE = "shards.json"
LANGUAGE = "zh-cn"
#: Number of index bundles (see the module docstring for why it is 1).
SHARDS = 1
#: Pages in flight to the service at once.
WINDOW = 64


@dataclass
class SearchReport:
    pages: int = 0  # pages indexed by this build
    shards: int = 0  # shard bundles in the index
    shards_indexed: int = 0  # shard bundles (re)built by this build
    seconds: float = 0.0  # time spent waiting for the indexer after rendering
    files: int = 0  # files of the written bundles
    size: int = 0  # bytes of the written bundles
    language: str = LANGUAGE


class SearchIndexError(RuntimeError):
    """Pagefind could not index the site."""


def config() -> dict:
    return {"force_language": LANGUAGE, "keep_index_url": False, "verbose": False}


def fingerprint() -> str:
    """Changes when Pagefind or its configuration does (every shard is then rebuilt)."""
    try:
        version = metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        version = "?"
    return hashlib.sha1(f"{version}{sorted(config().items())}{SHARDS}".encode()).hexdigest()


def shard_of(url: str) -> int:
    """The shard a page belongs to: stable across builds and machines."""
    return zlib.crc32(url.encode("utf-8")) % SHARDS


def shard_folder(shard: int, key: str) -> str:
    """Site-relative folder of a shard bundle (content-addressed by the shard's key)."""
    return f"{BUNDLE}/{shard}-{key[:12]}"


def shard_key(entries: list[tuple[str, str]]) -> str:
    """Key of one shard from its pages' ``(url, search key)`` pairs."""
    digest = hashlib.sha1(fingerprint().encode())
    for url, key in sorted(entries):
        digest.update(f"{url}\0{key}\0".encode())
    return digest.hexdigest()


def shards_manifest(folders: list[str]) -> bytes:
    """``pagefind/shards.json``: the bundles the search page loads, primary first."""
    return (json.dumps({"version": 1, "bundles": [f"/{f}/" for f in folders]},
                       ensure_ascii=False) + "\n").encode()


def _executable() -> Path:
    from pagefind.service import get_executable

    exe = get_executable()
    if exe is None:
        raise SearchIndexError(
            "找不到 Pagefind 程序 / the Pagefind binary was not found. 修正 Fix: pip install "
            "'pagefind[extended]'")
    return exe


def _encode(message: dict) -> bytes:
    return base64.b64encode(json.dumps(message, ensure_ascii=False).encode("utf-8")) + b","


class ShardIndexer:
    """Indexes pages into the shards named in ``wanted``, in a ``pagefind --service``
    process fed while the caller renders.

    The protocol is the one of Pagefind's own wrappers (base64 JSON messages separated by
    commas). ``add`` encodes a page and queues it (pages of other shards are ignored); a
    writer thread feeds the service, a reader thread collects its answers; ``finish``
    waits for them, has each shard written to ``site/<folder>`` and stops the service.
    """

    def __init__(self, site: Path, wanted: dict[int, str]):
        self.site = site
        self.wanted = wanted  # shard → bundle folder (site-relative)
        self.error: BaseException | None = None
        self.closed = False
        self.pages = 0  # pages sent
        self.indexed = 0  # pages the service has answered for
        self.next_id = 0
        self.lock = threading.Lock()
        self.replies: dict[int, dict] = {}
        self.answered = threading.Condition(self.lock)
        self.proc = subprocess.Popen([str(_executable()), "--service"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.outbox: queue.Queue = queue.Queue(maxsize=WINDOW)
        self.reader = threading.Thread(target=self._read, name="pagefind-reader", daemon=True)
        self.writer = threading.Thread(target=self._write, name="pagefind-writer", daemon=True)
        self.reader.start()
        self.writer.start()
        self.indexes = {shard: self._call({"type": "NewIndex", "config": config()})["index_id"]
                        for shard in sorted(wanted)}

    # --- plumbing --------------------------------------------------------------------------
    def _send(self, payload: dict) -> int:
        with self.lock:
            self.next_id += 1
            message_id = self.next_id
            if payload["type"] == "AddFile":
                self.pages += 1
        self.outbox.put(_encode({"message_id": message_id, "payload": payload}))
        return message_id

    def _wait(self, message_id: int) -> dict:
        with self.answered:
            while message_id not in self.replies and self.error is None:
                self.answered.wait(timeout=1)
            if self.error is not None:
                raise SearchIndexError(f"Pagefind: {self.error}")
            return self.replies.pop(message_id)

    def _call(self, payload: dict) -> dict:
        return self._wait(self._send(payload))

    def _write(self) -> None:
        assert self.proc.stdin
        try:
            while (data := self.outbox.get()) is not None:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
        except OSError as exc:
            self._fail(exc)

    def _read(self) -> None:
        assert self.proc.stdout
        buf = b""
        try:
            while chunk := self.proc.stdout.read1(1 << 16):
                buf += chunk
                *messages, buf = buf.split(b",")
                for raw in messages:
                    message = json.loads(base64.b64decode(raw)) if raw else None
                    if not message:
                        continue
                    payload = message.get("payload") or {}
                    if payload.get("type") == "Error":
                        self._fail(SearchIndexError(payload.get("message")))
                        continue
                    with self.answered:
                        if payload.get("type") == "IndexedFile":
                            self.indexed += 1
                        else:
                            self.replies[message.get("message_id")] = payload
                        self.answered.notify_all()
        except (OSError, ValueError) as exc:
            self._fail(exc)
        if self.proc.poll() not in (None, 0, -15):
            self._fail(SearchIndexError(f"pagefind exited with {self.proc.returncode}"))

    def _fail(self, exc: BaseException) -> None:
        with self.answered:
            self.error = self.error or exc
            self.answered.notify_all()

    # --- the interface ----------------------------------------------------------------------
    def add(self, url: str, html: str) -> None:
        shard = shard_of(url)
        if shard in self.wanted and self.error is None and not self.closed:
            self._send({"type": "AddFile", "index_id": self.indexes[shard], "url": url,
                        "file_contents": html, "file_path": None})

    def finish(self) -> SearchReport:
        """Wait until every page sent is indexed, write each wanted shard, stop the service."""
        started = time.perf_counter()
        try:
            with self.answered:  # every page indexed before any shard is written
                while self.indexed < self.pages and self.error is None:
                    self.answered.wait(timeout=1)
            for shard, index_id in self.indexes.items():
                self._call({"type": "WriteFiles", "index_id": index_id,
                            "output_path": str(self.site / self.wanted[shard])})
        finally:
            self.close()
        if self.error is not None:
            raise SearchIndexError(f"搜索索引失败 / search indexing failed: {self.error}")
        files = size = 0
        for folder in self.wanted.values():
            for dirpath, _, names in os.walk(self.site / folder):
                for name in names:
                    files += 1
                    size += os.stat(os.path.join(dirpath, name)).st_size
        return SearchReport(pages=self.pages, shards_indexed=len(self.wanted),
                            seconds=round(time.perf_counter() - started, 3), files=files,
                            size=size)

    def close(self, abort: bool = False) -> None:
        """Stop the service; ``abort`` (the build failed) kills it first, writing nothing."""
        self.closed = True
        if abort and self.proc.poll() is None:
            self.proc.kill()
        while True:  # nothing is pending after finish(); after a failure, drop the rest
            try:
                self.outbox.get_nowait()
            except queue.Empty:
                break
        self.outbox.put(None)
        self.writer.join(timeout=5)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)

    def abort(self) -> None:
        self.close(abort=True)
