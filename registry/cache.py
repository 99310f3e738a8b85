"""A cache of per-file work, keyed by content: (path, git blob id) → model and diagnostics.

Safe to delete at any time. The file carries the fingerprint of the code and of the
shapes it was made with and a checksum of its payload; a stale, foreign or corrupted
cache is detected on load and ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
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


class RecordCache:
    """Entries by ``(path, blob)``; each holds a tuple chosen by the caller."""

    def __init__(self, root: Path, name: str, fingerprint: str, enabled: bool = True):
        self.file = Path(root) / CACHE_DIR / f"{name}.pickle"
        self.fingerprint = fingerprint
        self.enabled = enabled
        self.entries: dict[tuple[str, str], object] = {}
        self.dirty = False
        self.hits = 0
        if enabled:
            self.entries = self._load()

    def _load(self) -> dict:
        try:
            raw = self.file.read_bytes()
        except OSError:
            return {}
        header, _, rest = raw.partition(b"\n\n")
        try:
            magic, fingerprint, checksum = header.split(b"\n")
        except ValueError:
            return {}
        if (magic + b"\n" != _FORMAT or fingerprint.decode() != self.fingerprint
                or hashlib.sha256(rest).hexdigest().encode() != checksum):
            return {}
        try:
            entries = pickle.loads(rest)  # our own file, verified by checksum above
        except Exception:
            return {}
        return entries if isinstance(entries, dict) else {}

    def get(self, path: str, blob: str):
        entry = self.entries.get((path, blob))
        if entry is not None:
            self.hits += 1
        return entry

    def put(self, path: str, blob: str, entry: object) -> None:
        self.entries[(path, blob)] = entry
        self.dirty = True

    def retain(self, keys: set[tuple[str, str]]) -> None:
        """Forget entries of files that no longer exist, so the cache does not grow forever."""
        stale = set(self.entries) - keys
        if stale:
            for key in stale:
                del self.entries[key]
            self.dirty = True

    def save(self) -> None:
        """Write atomically (temp file + rename); errors are ignored (a cache is optional)."""
        if not (self.enabled and self.dirty):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            payload = pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL)
            header = _FORMAT + self.fingerprint.encode() + b"\n" + \
                hashlib.sha256(payload).hexdigest().encode() + b"\n\n"
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(header + payload)
            os.replace(tmp, self.file)
            self.dirty = False
        except OSError:
            pass
