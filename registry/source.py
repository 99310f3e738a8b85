"""Where record files come from: the working tree, or (see ``history``) a git revision.

Every consumer reads files as ``SourceFile``: a path relative to the registry root, the
bytes, and the git blob id of those bytes, which is the content key of every cache.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = "data"
POWERS_DIR = "data/powers"
DEPARTMENTS_DIR = "data/departments"
LAWS_DIR = "data/laws"
VOCABULARIES_DIR = "data/vocabularies"
ONTOLOGY_DIR = "data/ontology"
SHAPES_DIR = "shapes"

#: A record file larger than this is refused before parsing (a record is ~3-10 KB).
MAX_RECORD_BYTES = 1_000_000


def blob_id(data: bytes) -> str:
    """The git blob id (SHA-1 of ``blob <size>\\0<data>``) of some bytes."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


@dataclass(frozen=True)
class SourceFile:
    """One file of a registry: its root-relative POSIX path, bytes and git blob id."""

    path: str
    data: bytes
    blob: str

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> SourceFile:
        return cls(path=path, data=data, blob=blob_id(data))

    @property
    def kind(self) -> str:
        """``power``, ``department``, ``law``, ``vocabulary``, ``ontology`` or ``other``."""
        return kind_of(self.path)


def kind_of(path: str) -> str:
    """The record kind a root-relative path holds, judged by its folder."""
    for prefix, kind in (
        (POWERS_DIR + "/", "power"),
        (DEPARTMENTS_DIR + "/", "department"),
        (LAWS_DIR + "/", "law"),
        (VOCABULARIES_DIR + "/", "vocabulary"),
        (ONTOLOGY_DIR + "/", "ontology"),
    ):
        if path.startswith(prefix):
            return kind
    return "other"


class RegistryNotFound(FileNotFoundError):
    """The folder is not a registry (it has no ``data/`` folder)."""


def check_root(root: Path) -> Path:
    """Return ``root`` resolved, or raise ``RegistryNotFound`` with a bilingual message."""
    root = Path(root).resolve()
    if not (root / DATA_DIR).is_dir():
        raise RegistryNotFound(
            f"{root} 不是登记库目录：缺少 data/ 文件夹。/ {root} is not a registry: it has no "
            "data/ folder. 修正 Fix: 在登记库根目录运行，或用 --root 指定 / run in the registry "
            "root or pass --root DIR."
        )
    return root


def list_data_paths(root: Path) -> list[str]:
    """Root-relative paths of every ``.ttl`` file under ``data/``, sorted."""
    root = Path(root)
    found = []
    base = root / DATA_DIR
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root).as_posix()
        found.extend(f"{rel}/{name}" for name in filenames if name.endswith(".ttl"))
    return sorted(found)


def read_file(root: Path, path: str, limit: int | None = None) -> SourceFile:
    """Read one root-relative file. Past ``limit`` bytes only the size is kept (data empty)."""
    full = Path(root) / path
    if limit is not None and full.stat().st_size > limit:
        return OversizedFile(path=path, data=b"", blob="", size=full.stat().st_size)
    return SourceFile.from_bytes(path, full.read_bytes())


@dataclass(frozen=True)
class OversizedFile(SourceFile):
    """A file too large to be a record; it is reported, never parsed."""

    size: int = 0


def working_tree(root: Path) -> list[SourceFile]:
    """Every data file of the registry at ``root`` as it is on disk."""
    root = check_root(root)
    return [read_file(root, p, MAX_RECORD_BYTES) for p in list_data_paths(root)]


def shape_files(root: Path) -> list[SourceFile]:
    """The SHACL shapes files of the registry at ``root``."""
    folder = Path(root) / SHAPES_DIR
    if not folder.is_dir():
        return []
    return [SourceFile.from_bytes(f"{SHAPES_DIR}/{p.name}", p.read_bytes())
            for p in sorted(folder.glob("*.ttl"))]
