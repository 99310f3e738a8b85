"""The one place record files are written: the canonical writer of ``registry.turtle``."""

from __future__ import annotations

import shutil
from pathlib import Path

from pyoxigraph import Triple

from registry.turtle import serialize

#: The folders this generator owns under ``data/``; nothing else is touched.
OWNED = ("departments", "laws", "powers")


def reset(root: Path) -> None:
    """Delete and recreate the folders the generator owns."""
    for name in OWNED:
        folder = root / "data" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)


def write(path: Path, triples: list[Triple]) -> None:
    """Write one record, UTF-8 with ``\\n`` line endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(serialize(triples))
