"""``powers fmt``: rewrite record files in the canonical layout.

Only record files (powers, departments, laws) are formatted. Formatting is parsing and
writing again with ``turtle.serialize``; it never changes a record's graph. A file that
does not parse is reported with its line and column and left untouched. Writes are
atomic (temporary file, then rename); a file already canonical is not written at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import turtle
from .powerwriter import write_files
from .source import check_root, kind_of, list_data_paths


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


def format_files(root: Path, paths: Iterable[str], check: bool = False) -> FmtResult:
    """Format (or with ``check`` only inspect) root-relative files."""
    root = Path(root)
    result = FmtResult()
    rewrites: dict[str, str] = {}
    for rel in paths:
        result.checked += 1
        data = (root / rel).read_bytes()
        try:
            text = canonical(data)
        except SyntaxError as exc:
            msg = str(exc.msg if hasattr(exc, "msg") else exc)
            result.problems.append(FmtProblem(
                rel, f"Turtle 语法错误，未改动：{msg} / Turtle syntax error, file left unchanged: "
                     f"{msg}", exc.lineno, exc.offset))
            continue
        except (ValueError, UnicodeDecodeError) as exc:
            result.problems.append(FmtProblem(
                rel, f"无法按规范格式写出，未改动：{exc} / cannot be written canonically, file left "
                     f"unchanged: {exc}"))
            continue
        if text.encode("utf-8") != data:
            result.changed.append(rel)
            rewrites[rel] = text
    if not check:
        for rel, text in rewrites.items():
            write_files(root, {rel: text})
    return result

