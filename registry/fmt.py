"""``powers fmt``: rewrite record files in the canonical layout.

Only record files (powers, departments, laws) are formatted. Formatting is parsing and
writing again with ``turtle.serialize``; it never changes a record's graph. A file that
does not parse is reported with its line and column and left untouched. Writes are
atomic (temporary file, then rename); a file already canonical is not written at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from . import turtle
from .cache import RECORD_SHARDS, RecordCache, code_fingerprint
from .loader import default_jobs
from .powerwriter import write_files
from .source import blob_id, check_root, kind_of, list_data_paths


@dataclass
class FmtProblem:
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        loc = self.path
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc


@dataclass
class FmtResult:
    checked: int = 0
    changed: list[str] = field(default_factory=list)  # not canonical (reformatted unless check)
    problems: list[FmtProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.changed and not self.problems

    def to_dict(self) -> dict:
        return {"checked": self.checked, "changed": self.changed,
                "problems": [p.__dict__ for p in self.problems]}


def canonical(data: bytes) -> str:
    """The canonical text of a Turtle document (raises ``SyntaxError``/``ValueError``)."""
    return turtle.serialize(turtle.parse(data))


#: What ``fmt`` rewrites: record files. The ontology and the code lists are written by
#: hand, with comments the canonical writer would drop, so they are left alone.
RECORD_KINDS = ("power", "department", "law")
_CHUNK = 250


def collect(root: Path, paths: Iterable[str | Path] | None = None) -> list[str]:
    """Root-relative record files to format: those in the given files and folders, or
    every record file of the registry."""
    root = check_root(root)
    if not paths:
        return [p for p in list_data_paths(root) if kind_of(p) in RECORD_KINDS]
    found: set[str] = set()
    for p in paths:
        full = Path(p)
        if not full.is_absolute():
            full = (Path.cwd() / full) if (Path.cwd() / full).exists() else root / full
        full = full.resolve()
        if full.is_dir():
            for dirpath, dirnames, filenames in os.walk(full):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.update(str(Path(dirpath, f).relative_to(root).as_posix())
                             for f in filenames if f.endswith(".ttl"))
        elif full.exists():
            found.add(full.relative_to(root).as_posix())
        else:
            raise FileNotFoundError(f"{p}: 文件不存在 / no such file or folder")
    return sorted(p for p in found if kind_of(p) in RECORD_KINDS)


def _check_one(rel: str, data: bytes) -> tuple[str, str | None, FmtProblem | None]:
    """(path, canonical text if it differs from ``data`` else None, problem)."""
    try:
        text = canonical(data)
    except SyntaxError as exc:
        msg = str(exc.msg if hasattr(exc, "msg") else exc)
        return rel, None, FmtProblem(
            rel, f"Turtle 语法错误，未改动：{msg} / Turtle syntax error, file left unchanged: "
                 f"{msg}", exc.lineno, exc.offset)
    except (ValueError, UnicodeDecodeError) as exc:
        return rel, None, FmtProblem(
            rel, f"无法按规范格式写出，未改动：{exc} / cannot be written canonically, file left "
                 f"unchanged: {exc}")
    return rel, (None if text.encode("utf-8") == data else text), None


def _check_chunk(chunk: list[tuple[str, bytes]]) -> list[tuple[str, str | None, FmtProblem | None]]:
    return [_check_one(rel, data) for rel, data in chunk]


def format_files(root: Path, paths: Iterable[str], check: bool = False,
                 use_cache: bool = True, jobs: int | None = None) -> FmtResult:
    """Format (or with ``check`` only inspect) root-relative files.

    Files already known to be canonical (same path and git blob id, same code) are
    skipped through the registry's cache; the rest are checked in parallel.
    """
    root = Path(root)
    result = FmtResult()
    cache = RecordCache(root, "fmt", code_fingerprint(), enabled=use_cache,
                        shards=RECORD_SHARDS)
    todo: list[tuple[str, bytes]] = []
    blobs: dict[str, str] = {}
    for rel in paths:
        result.checked += 1
        data = (root / rel).read_bytes()
        blobs[rel] = blob_id(data)
        if cache.get(rel, blobs[rel]) is None:
            todo.append((rel, data))
    jobs = jobs or default_jobs()
    chunks = [todo[i:i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    if jobs > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            outcomes = [o for done in pool.map(_check_chunk, chunks) for o in done]
    else:
        outcomes = [o for chunk in chunks for o in _check_chunk(chunk)]
    rewrites: dict[str, str] = {}
    for rel, text, problem in sorted(outcomes, key=lambda o: o[0]):
        if problem is not None:
            result.problems.append(problem)
        elif text is not None:
            result.changed.append(rel)
            rewrites[rel] = text
        else:
            cache.put(rel, blobs[rel], True)
    if not check:
        for rel, text in rewrites.items():
            write_files(root, {rel: text})
            cache.put(rel, blob_id(text.encode("utf-8")), True)
    cache.save()
    return result
