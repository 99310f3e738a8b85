"""Reading many files: record rules, models and (optionally) SHACL, cached and in parallel.

This is the one path from files to models. ``validate`` adds the cross-record rules on
top; ``snapshot`` keeps the models for the site, the API and search.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import TYPE_CHECKING

from .cache import RecordCache
from .diagnostics import Diagnostic
from .records import read_record
from .source import SourceFile

if TYPE_CHECKING:
    from .shacl import Shapes

#: Files per SHACL batch / worker task: large enough to amortise pySHACL's per-call set-up.
CHUNK = 400


@dataclass
class FileOutcome:
    """The cached result of one file: its model, record diagnostics and SHACL results."""

    path: str
    blob: str
    kind: str
    model: object | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    shacl: list[Diagnostic] | None = None  # None: SHACL not run
    shacl_fingerprint: str = ""

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        return self.diagnostics + (self.shacl or [])


Progress = Callable[[int], None]


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def process(files: Sequence[SourceFile], *, shapes: Shapes | None = None,
            cache: RecordCache | None = None, jobs: int | None = None,
            progress: Progress | None = None, complete: bool = False,
            retain: bool = True) -> list[FileOutcome]:
    """Read every file (models, record rules, SHACL if ``shapes``), reusing cached work.

    Returns one outcome per file in the order given. ``progress(n)`` is called as files
    are done. Only record files (powers, departments, laws) are processed. ``complete``:
    the files are every record of the registry, so cache entries of other paths (deleted
    or moved files) are dropped. ``retain=False`` keeps entries of other versions of the
    files: dropping them scans their cache shard, which a build asking for one model per
    page did 40,000 times at 40,000 records (12 s).
    """
    outcomes: dict[str, FileOutcome] = {}
    todo: list[SourceFile] = []
    fingerprint = shapes.fingerprint if shapes else ""
    for src in files:
        entry = cache.get(src.path, src.blob) if cache else None
        if isinstance(entry, FileOutcome) and (shapes is None or entry.shacl_fingerprint == fingerprint):
            outcomes[src.path] = entry
        else:
            todo.append(src)
    if progress and len(outcomes):
        progress(len(outcomes))
    if todo and shapes is not None:
        _ = shapes.graph  # parse once here: broken shapes fail before any work is sent out
    jobs = jobs or default_jobs()
    chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    if jobs > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            results = pool.map(_work, chunks, [shapes] * len(chunks))
            for done in results:
                _collect(done, outcomes, cache, progress)
    else:
        for chunk in chunks:
            _collect(_work(chunk, shapes), outcomes, cache, progress)
    if cache and retain:
        # a partial run (e.g. `check` of a few files) must not evict the rest of the cache
        cache.retain({(s.path, s.blob) for s in files},
                     paths=None if complete else {s.path for s in files})
    return [outcomes[s.path] for s in files]


def _collect(done: list[FileOutcome], outcomes: dict, cache: RecordCache | None,
             progress: Progress | None) -> None:
    for o in done:
        outcomes[o.path] = o
        if cache:
            cache.put(o.path, o.blob, o)
    if progress:
        progress(len(done))


def _work(chunk: list[SourceFile], shapes: Shapes | None) -> list[FileOutcome]:
    """Read one chunk of files and run SHACL over it (runs in a worker process)."""
    results = [read_record(src) for src in chunk]
    shacl: dict[str, list[Diagnostic]] = {}
    if shapes is not None:
        from .shacl import validate_records  # rdflib and the SHACL engine load only here

        texts = {src.path: src.data.decode("utf-8", errors="replace") for src in chunk}
        shacl = validate_records((r for r in results if r.ok), shapes, texts)
    out = []
    for r in results:
        out.append(FileOutcome(
            path=r.path, blob=r.blob, kind=r.kind, model=r.model, diagnostics=r.diagnostics,
            shacl=shacl.get(r.path, []) if shapes is not None and r.ok else (
                [] if shapes is not None else None),
            shacl_fingerprint=shapes.fingerprint if shapes is not None else ""))
    return out
