"""A snapshot of summaries: what listings show of each power, without its full model.

The site build needs every power's code, title, department, type, status, levels and
the laws it cites (for listings, counts, links and the search facets), but the full model
(discretion tiers, responsibilities, quotes) only of the powers whose page it renders.
At 40,000 records unpickling every full model costs seconds; a ``PowerSummary`` per file,
cached by blob id in a cache of its own, costs a fraction. ``SummarySnapshot.power_model``
reads a full model when a page needs one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

from .cache import RECORD_SHARDS, RecordCache, code_fingerprint, record_cache
from .loader import process
from .model import Department, Law, Power
from .snapshot import Snapshot, load_schemes
from .source import SourceFile, check_root, working_tree


class CitationRef(NamedTuple):
    """The law and provision a power cites (what a law's page lists)."""

    law: str
    article: int | None
    paragraph: int | None
    item: int | None


class PowerSummary(NamedTuple):
    """What a listing, a count or a link shows of a power (the attribute names of
    ``Power``, so code reading these works on either)."""

    path: str
    code: str
    title: str
    title_en: str
    department: str
    power_type: str
    status: str
    status_date: str | None
    levels: tuple[str, ...]
    citations: tuple[CitationRef, ...]
    successors: tuple[str, ...]
    main_item: str | None

    @classmethod
    def of(cls, p: Power) -> PowerSummary:
        return cls(p.path, p.code, p.title, p.title_en, p.department, p.power_type, p.status,
                   p.status_date, tuple(p.levels),
                   tuple(CitationRef(c.law, c.article, c.paragraph, c.item) for c in p.citations),
                   tuple(p.successors), p.main_item)

    @property
    def in_force(self) -> bool:
        return self.status == "in-force"


def summary_cache(root: Path, enabled: bool = True) -> RecordCache:
    """Each record file's summary (or department or law model; None when the file fails
    the record rules), by path and blob."""
    digest = hashlib.sha1(code_fingerprint().encode())
    digest.update(Path(__file__).read_bytes())
    return RecordCache(root, "summaries", digest.hexdigest(), enabled=enabled,
                       shards=RECORD_SHARDS)


class SummarySnapshot(Snapshot):
    """A ``Snapshot`` whose ``powers`` are ``PowerSummary`` values; departments, laws and
    code lists are full models (a few hundred)."""

    def __init__(self, root: Path, **kwargs):
        super().__init__(**kwargs)
        self._records = record_cache(root)
        self._full: dict[str, Power] = {}
        self.duplicate_codes: set[str] = set()  # claimed by more than one file

    def power_model(self, code: str) -> Power:
        """The full model of a power (read from the record cache, or parsed)."""
        found = self._full.get(code)
        if found is None:
            src = self.files[self.powers[code].path]
            outcome = process([src], cache=self._records, retain=False)[0]
            found = outcome.model
            if not isinstance(found, Power):  # changed on disk since it was summarised
                raise RuntimeError(f"{src.path}: the record changed while it was read")
            self._full[code] = found
        return found

    def forget_model(self, code: str) -> None:
        """Drop a full model once its page is written (memory of a full build)."""
        self._full.pop(code, None)

    def save(self) -> None:
        """Write back the record-cache shards a parse added to."""
        self._records.save()


def load_summaries(root: Path, *, files: list[SourceFile] | None = None,
                   use_cache: bool = True) -> tuple[SummarySnapshot, RecordCache]:
    """Every record of the registry at ``root`` as a ``SummarySnapshot`` (files that fail
    the record rules are left out, as ``load_snapshot`` does), and the summary cache.

    The cache still holds the entries of files since changed (a rebuild reads the
    previous summaries of what changed); the caller retains and saves it.
    """
    root = check_root(root)
    files = files if files is not None else working_tree(root)
    cache = summary_cache(root, enabled=use_cache)
    snap = SummarySnapshot(root, files={f.path: f for f in files})
    records = [f for f in files if f.kind in ("power", "department", "law")]
    values: list = [None] * len(records)
    misses: dict[str, int] = {}
    entries = cache.entries  # every shard merged: a dict look-up per file, not a call
    for i, f in enumerate(records):
        hit = entries.get((f.path, f.blob))
        if hit is None:
            misses[f.path] = i
        else:
            values[i] = hit[0]
    if misses:
        for o in process([records[i] for i in misses.values()], cache=snap._records):
            m = o.model
            usable = m is not None and not any(d.is_error for d in o.diagnostics)
            value = (PowerSummary.of(m) if isinstance(m, Power) else m) if usable else None
            if isinstance(m, Power) and usable:
                snap._full[m.code] = m
            cache.put(o.path, o.blob, (value,))
            values[misses[o.path]] = value
    # in file order, as load_snapshot adds them (of two files with one code, the last wins)
    for v in values:
        if isinstance(v, PowerSummary):
            if v.code in snap.powers:
                snap.duplicate_codes.add(v.code)
            snap.powers[v.code] = v
        elif isinstance(v, Department):
            snap.departments[v.slug] = v
        elif isinstance(v, Law):
            snap.laws[v.id] = v
    for scheme in load_schemes(f for f in files if f.kind == "vocabulary"):
        snap.schemes[scheme.name] = scheme
    return snap, cache
