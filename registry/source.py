"""Where record files come from: the working tree, or (see ``history``) a git revision.

Every consumer reads files as ``SourceFile``: a path relative to the registry root, the
bytes, and the git blob id of those bytes, which is the content key of every cache.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
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


def _read_bytes(path: str | Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class SourceFile:
    """One file of a registry: its root-relative POSIX path, bytes and git blob id.

    A file of the working tree that git already knows unchanged gets its blob id from the
    index and reads its bytes only when they are asked for (``data``): a run that finds a
    file's work in the cache never reads it.
    """

    __slots__ = ("path", "blob", "_data", "_full")

    def __init__(self, path: str, data: bytes | None = None, blob: str = "", *,
                 full: str | Path | None = None):
        self.path = path
        self.blob = blob
        self._data = data
        self._full = full  # where to read the bytes from, when not given

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> SourceFile:
        return cls(path, data, blob_id(data))

    @property
    def data(self) -> bytes:
        if self._data is None:
            data = _read_bytes(self._full) if self._full is not None else b""
            blob = blob_id(data)
            if blob != self.blob:  # changed on disk since it was listed: the bytes win
                self.blob = blob
            self._data = data
        return self._data

    def read(self) -> bytes:
        """The bytes, without keeping them when they were not read yet (for one-off use
        over many files, such as copying records into a site)."""
        if self._data is not None or self._full is None:
            return self.data
        return _read_bytes(self._full)

    @property
    def kind(self) -> str:
        """``power``, ``department``, ``law``, ``vocabulary``, ``ontology`` or ``other``."""
        return kind_of(self.path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, blob={self.blob[:12]!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SourceFile) and (self.path, self.blob) == (other.path, other.blob)

    def __hash__(self) -> int:
        return hash(self.path)  # the blob may still change (see ``data``)

    def __getstate__(self) -> tuple:
        return (self.path, self.data, self.blob)

    def __setstate__(self, state: tuple) -> None:
        self.path, self._data, self.blob = state
        self._full = None


_KINDS = {POWERS_DIR: "power", DEPARTMENTS_DIR: "department", LAWS_DIR: "law",
          VOCABULARIES_DIR: "vocabulary", ONTOLOGY_DIR: "ontology"}
_KIND_AT = len(DATA_DIR) + 1  # each kind's folder is one level below data/


def kind_of(path: str) -> str:
    """The record kind a root-relative path holds, judged by its folder (one dictionary
    look-up: a build asks it of every file several times)."""
    end = path.find("/", _KIND_AT)
    return _KINDS.get(path[:end], "other") if end > 0 else "other"


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
    skip = len(str(base)) - len(DATA_DIR)  # what comes before "data/" in each dirpath
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        rel = dirpath[skip:].replace(os.sep, "/")
        found.extend(f"{rel}/{name}" for name in filenames if name.endswith(".ttl"))
    return sorted(found)


def read_file(root: Path, path: str, limit: int | None = None) -> SourceFile:
    """Read one root-relative file. Past ``limit`` bytes only the size is kept (data empty)."""
    full = Path(root) / path
    if limit is not None and full.stat().st_size > limit:
        return OversizedFile(path, b"", "", size=full.stat().st_size)
    return SourceFile.from_bytes(path, full.read_bytes())


class OversizedFile(SourceFile):
    """A file too large to be a record; it is reported, never parsed."""

    __slots__ = ("size",)

    def __init__(self, path: str, data: bytes | None = None, blob: str = "", *, size: int = 0,
                 full: Path | None = None):
        super().__init__(path, data, blob, full=full)
        self.size = size

    def __getstate__(self) -> tuple:
        return (self.path, self.data, self.blob, self.size)

    def __setstate__(self, state: tuple) -> None:
        self.path, self._data, self.blob, self.size = state
        self._full = None


_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def _git(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=60,
                              env={**os.environ, **_GIT_ENV})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def git_index_blobs(root: Path) -> dict[str, str] | None:
    """Root-relative path → blob id of every file under ``data/`` that git tracks and that
    is unchanged in the working tree (git compares file stats, and content when they are
    racy). None when git cannot say it exactly: not a repository, or line-ending and other
    filters configured (then a blob id is not the hash of the bytes on disk)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    config = _git(root, "config", "--get", "core.autocrlf") or b""
    if config.strip().lower() in (b"true", b"input") or \
            (Path(top.decode().strip()) / ".gitattributes").exists() or \
            (root / ".gitattributes").exists() or (root / DATA_DIR / ".gitattributes").exists():
        return None
    # -s: mode, blob, stage; -v: the tag before them, lower-case for assume-unchanged and
    # S for skip-worktree (git does not look at those files: the entry says nothing of
    # the bytes on disk); -m: the files whose stats or bytes differ from the index
    staged = _git(root, "ls-files", "-s", "-v", "-z", "--", DATA_DIR)
    modified = _git(root, "ls-files", "-m", "-z", "--", DATA_DIR)
    if staged is None or modified is None:
        return None
    changed = set(modified.decode("utf-8", "surrogateescape").split("\0"))
    found = {}
    for entry in staged.decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        tag, mode, blob, stage = meta.split(" ")
        if tag == "H" and mode in ("100644", "100755") and stage == "0" and path not in changed:
            found[path] = blob
    return found


def working_tree(root: Path) -> list[SourceFile]:
    """Every data file of the registry at ``root`` as it is on disk (files git knows
    unchanged are read only when their bytes are needed)."""
    root = check_root(root)
    known = git_index_blobs(root) or {}
    files: list[SourceFile] = []
    base = str(root)
    for p in list_data_paths(root):
        blob = known.get(p)
        if blob is None:
            files.append(read_file(root, p, MAX_RECORD_BYTES))
            continue
        full = f"{base}/{p}"  # a string: 40,000 Path objects cost a few tenths of a second
        size = os.stat(full).st_size
        if size > MAX_RECORD_BYTES:
            files.append(OversizedFile(p, b"", "", size=size))
        else:
            files.append(SourceFile(p, None, blob, full=full))
    return files


def shape_files(root: Path) -> list[SourceFile]:
    """The SHACL shapes files of the registry at ``root``."""
    folder = Path(root) / SHAPES_DIR
    if not folder.is_dir():
        return []
    return [SourceFile.from_bytes(f"{SHAPES_DIR}/{p.name}", p.read_bytes())
            for p in sorted(folder.glob("*.ttl"))]
