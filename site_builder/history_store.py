"""The git history a build showed, kept for the next build (``.powers-cache/``).

A rebuild after a commit extends it (``registry.history.changes_since``) instead of
reading all of git's history again: at 40,000 records reading it whole takes 4–6 s, the
commits since the last build a few milliseconds.

Each record's packed versions are an entry of a sharded cache keyed by (path, key of the
versions), so a rebuild after a few commits rewrites a few shards; a small index names the
commit, the change log and every path's key, and is written last. An index that names an
entry no shard holds (a crash between writes, a deleted shard) is not trusted: the
history is then read whole.
"""

from __future__ import annotations

from pathlib import Path

from registry.cache import RECORD_SHARDS, RecordCache

Packed = dict[str, tuple[str, bytes]]


class HistoryStore:
    """Packed histories and recent changes by commit, as of the last build that saved them."""

    def __init__(self, root: Path, fingerprint: str, enabled: bool = True):
        self.index = RecordCache(root, "site-history", fingerprint, enabled=enabled)
        self.entries = RecordCache(root, "site-history-records", fingerprint, enabled=enabled,
                                   shards=RECORD_SHARDS)
        self._keys: dict[str, str] = {}  # path → key, as the shards hold them

    def load(self, head: str) -> tuple[Packed, list] | None:
        """The histories and changes saved for commit ``head`` (None: none, or not whole)."""
        found = self.index.get("HEAD", head)
        if not (isinstance(found, tuple) and len(found) == 2):
            return None
        keys, changes = found
        packed: Packed = {}
        entries = self.entries.entries  # every shard merged: a dict look-up per record
        for path, key in keys.items():
            data = entries.get((path, key))
            if not isinstance(data, bytes):
                return None
            packed[path] = (key, data)
        self._keys = dict(keys)
        return packed, changes

    def save(self, head: str, packed: Packed, changes: list) -> None:
        """Keep ``packed`` and ``changes`` as of ``head``, rewriting only the shards of
        entries that differ from what was loaded (nothing when the store is disabled)."""
        keys = {path: key for path, (key, _) in packed.items()}
        if not self._keys:
            self.entries.clear()  # nothing loaded: whatever the shards hold is stale
        for path, key in self._keys.items():
            if keys.get(path) != key:
                self.entries.discard(path, key)
        for path, (key, data) in packed.items():
            if self._keys.get(path) != key:
                self.entries.put(path, key, data)
        self.entries.save()
        self.index.clear()
        self.index.put("HEAD", head, (keys, changes))
        self.index.save()
        self._keys = keys
