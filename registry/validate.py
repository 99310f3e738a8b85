"""Validation of a whole registry: all four layers, every problem reported together.

Layers: (1) syntax, (2) record rules, (3) SHACL shapes, (4) cross-record rules. Per-file
work (1–3) is cached by content; (4) always runs over all records, from the compact
``PowerRefs`` of each (cached apart, so a run over a few files reads no other model).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import crossrules
from .cache import RECORD_SHARDS, RecordCache, code_fingerprint, record_cache
from .crossrules import PowerRefs
from .diagnostics import Diagnostic, DiagnosticSummary, error, sort_key
from .loader import FileOutcome, process
from .model import Department, Law, Power
from .records import find_line, read_record
from .shacl import Shapes
from .snapshot import load_schemes
from .source import SourceFile, check_root, shape_files, working_tree


@dataclass
class Report(DiagnosticSummary):
    """The outcome of a validation run."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    records: Counter = field(default_factory=Counter)
    checked: int = 0  # files whose per-file rules ran (not cached / selected)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "files": self.files,
            "records": dict(self.records),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "seconds": round(self.seconds, 3),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def validate(root: Path, *, files: list[SourceFile] | None = None, only: set[str] | None = None,
             use_cache: bool = True, jobs: int | None = None,
             progress: Callable[[int], None] | None = None,
             on_total: Callable[[int], None] | None = None) -> Report:
    """Validate the registry at ``root``.

    ``files`` replaces the working tree (e.g. files read from a git revision); ``only``
    limits the per-file layers to those paths (``powers check``) while cross-record rules
    still see every record. Raises ``ShapesError`` when the shapes cannot be loaded.
    """
    started = time.perf_counter()
    root = check_root(root)
    shapes = Shapes.load(shape_files(root))
    whole = files is None and only is None  # every record of the working tree
    files = files if files is not None else working_tree(root)
    by_path = {f.path: f for f in files}
    records = [f for f in files if f.kind in ("power", "department", "law")]
    others = [f for f in files if f.kind not in ("power", "department", "law")]
    if on_total:
        on_total(len(records))

    cache = record_cache(root, enabled=use_cache)
    refs = refs_cache(root, enabled=use_cache)
    selected = records if only is None else [f for f in records if f.path in only]
    unselected = [] if only is None else [f for f in records if f.path not in only]
    outcomes = process(selected, shapes=shapes, cache=cache, jobs=jobs, progress=progress,
                       complete=whole)
    checked = len(selected) - cache.hits
    views = [(o.kind, _view(o, refs)) for o in outcomes]
    # the rest only needs what the cross-record rules read of it
    todo = []
    for f in unselected:
        hit = refs.get(f.path, f.blob)
        if hit is None:
            todo.append(f)
        else:
            views.append(hit)
    if progress and len(unselected) > len(todo):
        progress(len(unselected) - len(todo))
    views += [(o.kind, _view(o, refs)) for o in process(todo, cache=cache, jobs=jobs,
                                                        progress=progress)]
    if whole:  # forget the files that are gone
        refs.retain({(f.path, f.blob) for f in records})
    cache.save()
    refs.save()

    report = Report(files=len(files), checked=checked)
    for o in outcomes:
        report.diagnostics += o.all_diagnostics
    for kind, _ in views:
        report.records[kind] += 1
    report.diagnostics += _other_files(others)

    ctx = _context([v for _, v in views if v is not None], others, by_path)
    report.diagnostics += crossrules.check(ctx)
    report.diagnostics.sort(key=sort_key)
    report.seconds = time.perf_counter() - started
    return report


def _other_files(others: list[SourceFile]) -> list[Diagnostic]:
    """Syntax of vocabulary and ontology files; stray files in ``data/``."""
    found = []
    for src in others:
        if src.kind == "other":
            found.append(error(
                "unknown-file", src.path,
                "data/ 下的文件不属于任何记录类别。/ This file under data/ is not in a record "
                "folder. 修正 Fix: 移到 data/powers/<部门>/、data/departments/、data/laws/ 或 "
                "data/vocabularies/ / move it into a record folder."))
            continue
        found += read_record(src).diagnostics
    return found


def refs_cache(root: Path, enabled: bool = True) -> RecordCache:
    """Each record file's ``PowerRefs`` (or department or law model), by path and blob."""
    digest = hashlib.sha1(code_fingerprint().encode())
    digest.update((Path(__file__).parent / "crossrules.py").read_bytes())
    return RecordCache(root, "refs", digest.hexdigest(), enabled=enabled, shards=RECORD_SHARDS)


def _view(o: FileOutcome, refs: RecordCache):
    """What the cross-record rules read of one file (None: no usable model), remembered."""
    m = o.model
    view = PowerRefs.of(m) if isinstance(m, Power) else m if isinstance(m, Department | Law) \
        else None
    if refs.get(o.path, o.blob) is None:
        refs.put(o.path, o.blob, (o.kind, view))
    return view


def _context(views: list, others: list[SourceFile],
             by_path: dict[str, SourceFile]) -> crossrules.CrossContext:
    texts: dict[str, list[str]] = {}

    def line_of(path: str, needle: str) -> int | None:
        src = by_path.get(path)
        if src is None:
            return None
        if path not in texts:
            texts[path] = [src.data.decode("utf-8", errors="replace")]
        return find_line(texts[path][0], needle)

    schemes = load_schemes([f for f in others if f.kind == "vocabulary"])
    concepts = {s.name: {c.key for c in s.concepts} for s in schemes}
    return crossrules.CrossContext(
        powers=[v for v in views if isinstance(v, PowerRefs)],
        departments=[v for v in views if isinstance(v, Department)],
        laws={v.id: v for v in views if isinstance(v, Law)},
        concepts=concepts,
        line_of=line_of,
    )
