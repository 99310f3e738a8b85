"""What the routes work with: the current catalog, past ones, search and SPARQL.

No web framework here. ``Services`` is built once by ``create_app`` and injected into
the routes with ``Depends(services)``; tests may build their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from registry.snapshot import Snapshot

from . import errors
from .catalog import CODE_RE, Catalog, check
from .http import ResponseCache
from .settings import Settings
from .sparql_pool import SparqlPool


class Searcher(Protocol):
    """What the API needs of a search index (``search.SearchIndex`` is one)."""

    def search(self, q: str = "", *, department: str | None = None,
               power_type: str | None = None, level: str | None = None,
               star: int | None = None, status: str | None = None, limit: int = 20,
               offset: int = 0, highlight: bool = True): ...


def sparql_files(snap: Snapshot) -> list[tuple[str, bytes]]:
    """The files SPARQL loads: the records the snapshot accepted (a file that broke the
    record rules, e.g. stated triples about another record, is left out) and every code
    list and ontology file."""
    accepted = {r.path for table in (snap.powers, snap.departments, snap.laws)
                for r in table.values()}
    return [(path, f.data) for path, f in sorted(snap.files.items())
            if path.endswith(".ttl") and f.data
            and (path in accepted or f.kind in ("vocabulary", "ontology"))]


@dataclass
class History:
    """Past revisions: record histories, change lists, diffs, catalogs and SPARQL at ``at``.

    Catalogs and SPARQL pools of past revisions are kept in small LRU caches, so a second
    ``?at=`` read of the same revision is a dict lookup.
    """

    root: Path | None
    settings: Settings
    current: Catalog
    _catalogs: OrderedDict = field(default_factory=OrderedDict)
    _pools: OrderedDict = field(default_factory=OrderedDict)
    _histories: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _module(self):
        if self.root is None:
            raise errors.HistoryUnavailable(
                "本服务没有 git 仓库，无法查看历史。/ This server has no git repository: history "
                "is unavailable.")
        try:
            from registry import history
        except ImportError as exc:  # pragma: no cover - the module ships with the registry
            raise errors.HistoryUnavailable(f"历史功能不可用 / History is unavailable: {exc}") \
                from None
        return history

    def resolve(self, at: str) -> str:
        at = _check_rev(at)
        history = self._module()
        try:
            return history.resolve_revision(self.root, at)
        except history.RevisionNotFound as exc:
            raise errors.RevisionNotFound(at, message=str(exc)) from None
        except history.GitError as exc:
            raise errors.HistoryUnavailable(str(exc)) from exc

    def catalog(self, at: str | None) -> Catalog:
        """The current catalog, or the one at a past commit, tag or date."""
        if not at:
            return self.current
        commit = self.resolve(at)
        with self._lock:
            cat = self._catalogs.get(commit)
            if cat is not None:
                self._catalogs.move_to_end(commit)
                return cat
        history = self._module()
        snap = history.snapshot_at(self.root, commit)
        modified = _commit_time(self.root, commit)
        cat = Catalog(snap, modified=modified)
        with self._lock:
            self._catalogs[commit] = cat
            while len(self._catalogs) > max(1, self.settings.history_cache):
                self._catalogs.popitem(last=False)
        return cat

    def pool(self, at: str) -> SparqlPool:
        """A one-worker SPARQL pool over the registry at ``at`` (kept for the next query)."""
        commit = self.resolve(at)
        with self._lock:
            pool = self._pools.get(commit)
            if pool is not None:
                self._pools.move_to_end(commit)
                return pool
        cat = self.catalog(commit)
        pool = SparqlPool(sparql_files(cat.snap), workers=1, timeout=self.settings.sparql_timeout,
                          memory_mb=self.settings.sparql_memory_mb).start()
        with self._lock:
            self._pools[commit] = pool
            while len(self._pools) > 2:
                _, old = self._pools.popitem(last=False)
                old.close()
        return pool

    def record(self, code: str) -> list[dict]:
        check(code, CODE_RE, "基本编码 / code")
        history = self._module()
        with self._lock:
            cached = self._histories.get(code)
        if cached is not None:
            return cached
        try:
            versions = history.record_history(self.root, code)
        except history.GitError as exc:
            raise errors.HistoryUnavailable(str(exc)) from exc
        if not versions and code not in self.current.snap.powers:
            raise errors.PowerNotFound(code)
        data = [v.to_dict() for v in versions]
        with self._lock:
            self._histories[code] = data
            while len(self._histories) > 2048:
                self._histories.popitem(last=False)
        return data

    def changes(self, limit: int, since: str | None) -> list[dict]:
        history = self._module()
        try:
            return [c.to_dict() for c in history.recent_changes(self.root, limit, since=since)]
        except history.RevisionNotFound:
            raise errors.RevisionNotFound(since or "?") from None
        except history.GitError as exc:
            raise errors.HistoryUnavailable(str(exc)) from exc

    def diff(self, a: str, b: str | None) -> dict:
        history = self._module()
        _check_rev(a)
        if b:
            _check_rev(b)
        try:
            return history.revision_diff(self.root, a, b).to_dict()
        except history.RevisionNotFound as exc:
            raise errors.RevisionNotFound(b or a, message=str(exc)) from exc
        except history.GitError as exc:
            raise errors.HistoryUnavailable(str(exc)) from exc

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


def _check_rev(at: str) -> str:
    import re

    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._/~^+-]{0,99}$", at) or ".." in at:
        raise errors.InvalidParameter(
            "at 应为提交、标签或日期（YYYY-MM-DD）。/ `at` must be a commit, a tag or a date "
            "(YYYY-MM-DD).", at=at[:100])
    return at


def _commit_time(root: Path | None, commit: str) -> float | None:
    import subprocess

    if root is None:
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "show", "-s", "--format=%ct", commit],
                             capture_output=True, text=True, timeout=10, check=True)
        return float(out.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    history: History
    searcher: Searcher | None = None
    sparql: SparqlPool | None = None
    search_state: str = "disabled"  # while searcher is None: "disabled" or "starting"
    responses: ResponseCache = field(default_factory=ResponseCache)

    def close(self) -> None:
        if self.sparql is not None:
            self.sparql.close()
        self.history.close()
