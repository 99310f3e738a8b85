"""A cache of per-file work, keyed by content: (path, git blob id) → model and diagnostics.

Safe to delete at any time. Each file carries the fingerprint of the code and of the
shapes it was made with and a checksum of its payload; a stale, foreign or corrupted
cache is detected on load and ignored, never trusted.

A cache of many entries (one per record) is split into shards by path
(``.powers-cache/<name>/<n>.pickle``): a shard is read only when one of its paths is asked
for, and only the shards that changed are written back, so a run that touches five
records rewrites five shards, not every model of the registry.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
import zlib
from pathlib import Path

CACHE_DIR = ".powers-cache"
_FORMAT = b"powers-cache-1\n"


#: The modules whose code decides a file's cached model and diagnostics.
_PER_FILE_MODULES = ("namespaces", "source", "diagnostics", "model", "records", "shacl",
                     "loader", "cache")


def code_fingerprint() -> str:
    """Content id of the code behind per-file results: changing it invalidates the cache."""
    digest = hashlib.sha1()
    here = Path(__file__).parent
    for name in _PER_FILE_MODULES:
        digest.update(name.encode() + b"\0" + (here / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _read(file: Path, fingerprint: str) -> dict:
    try:
        raw = file.read_bytes()
    except OSError:
        return {}
    header, _, rest = raw.partition(b"\n\n")
    try:
        magic, found, checksum = header.split(b"\n")
    except ValueError:
        return {}
    if (magic + b"\n" != _FORMAT or found.decode(errors="replace") != fingerprint
            or hashlib.sha256(rest).hexdigest().encode() != checksum):
        return {}
    # unpickling makes many objects at once: the cycle collector would walk them again and
    # again while they are made (a third of the time), and none of them is garbage yet
    enabled = gc.isenabled()
    gc.disable()
    try:
        entries = pickle.loads(rest)  # our own file, verified by checksum above
    except Exception:
        return {}
    finally:
        if enabled:
            gc.enable()
    return entries if isinstance(entries, dict) else {}


def _write(file: Path, fingerprint: str, entries: dict) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
    header = _FORMAT + fingerprint.encode() + b"\n" + \
        hashlib.sha256(payload).hexdigest().encode() + b"\n\n"
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header + payload)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RecordCache:
    """Entries by ``(path, blob)``; each holds a value chosen by the caller.

    ``shards`` > 1 splits the entries by path into that many files, read lazily.
    """

    def __init__(self, root: Path, name: str, fingerprint: str, enabled: bool = True,
                 shards: int = 1):
        base = Path(root) / CACHE_DIR
        self.file = base / f"{name}.pickle"  # the single file (shards == 1)
        self.folder = base / name  # the shard files (shards > 1)
        self.fingerprint = fingerprint
        self.enabled = enabled
        self.shards = max(1, shards)
        self._parts: list[dict | None] = [None] * self.shards
        self._dirty: set[int] = set()
        self.hits = 0

    # --- shards ----------------------------------------------------------------------------
    def _index(self, path: str) -> int:
        return zlib.crc32(path.encode("utf-8", "surrogatepass")) % self.shards if \
            self.shards > 1 else 0

    def _shard_file(self, i: int) -> Path:
        return self.file if self.shards == 1 else self.folder / f"{i:03d}.pickle"

    def _part(self, i: int) -> dict:
        part = self._parts[i]
        if part is None:
            part = self._parts[i] = _read(self._shard_file(i), self.fingerprint) \
                if self.enabled else {}
        return part

    @property
    def dirty(self) -> bool:
        return bool(self._dirty)

    @property
    def entries(self) -> dict:
        """Every entry (reads every shard); a copy when the cache is sharded."""
        if self.shards == 1:
            return self._part(0)
        merged: dict = {}
        for i in range(self.shards):
            merged.update(self._part(i))
        return merged

    # --- entries ---------------------------------------------------------------------------
    def get(self, path: str, blob: str):
        entry = self._part(self._index(path)).get((path, blob))
        if entry is not None:
            self.hits += 1
        return entry

    def put(self, path: str, blob: str, entry: object) -> None:
        i = self._index(path)
        self._part(i)[(path, blob)] = entry
        self._dirty.add(i)

    def discard(self, path: str, blob: str) -> None:
        """Forget one entry (if there)."""
        i = self._index(path)
        if self._part(i).pop((path, blob), None) is not None:
            self._dirty.add(i)

    def clear(self) -> None:
        """Forget every entry (the next ``save`` writes an empty cache)."""
        self._parts = [{} for _ in range(self.shards)]
        self._dirty = set(range(self.shards))

    def retain(self, keys: set[tuple[str, str]], paths: set[str] | None = None) -> None:
        """Forget entries not in ``keys``, so the cache does not grow forever; with
        ``paths``, only entries of those paths are considered (a run over a few files
        leaves the rest of the cache alone, and reads only their shards)."""
        shards = range(self.shards) if paths is None else {self._index(p) for p in paths}
        for i in shards:
            part = self._part(i)
            stale = [k for k in part if k not in keys and (paths is None or k[0] in paths)]
            for key in stale:
                del part[key]
            if stale:
                self._dirty.add(i)

    def save(self) -> None:
        """Write the changed shards atomically (temp file + rename); errors are ignored (a
        cache is optional)."""
        if not (self.enabled and self._dirty):
            return
        try:
            if self.shards > 1 and self.file.exists():
                self.file.unlink()  # a single-file cache of the same name, from older code
            for i in sorted(self._dirty):
                _write(self._shard_file(i), self.fingerprint, self._part(i))
            self._dirty.clear()
        except OSError:
            pass


#: Shards of the caches that hold an entry per record file.
RECORD_SHARDS = 64


def record_cache(root: Path, enabled: bool = True) -> RecordCache:
    """The cache of every record file's model and diagnostics (``loader.process``)."""
    return RecordCache(root, "records", code_fingerprint(), enabled=enabled, shards=RECORD_SHARDS)
