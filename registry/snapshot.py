"""A snapshot: the registry's records as models, at one revision, for every front end.

The site, the API and search all start from ``load_snapshot``; none of them reads record
files itself. Files that fail the record rules are left out (``validate`` reports them).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .cache import record_cache
from .loader import process
from .model import (
    ConceptScheme,
    Department,
    Law,
    Power,
    index_triples,
    schemes_from_triples,
)
from .namespaces import local_name
from .source import SourceFile, check_root, working_tree


@dataclass
class Snapshot:
    """Every record of a registry at one revision, as models, plus the files they came from."""

    powers: dict[str, Power] = field(default_factory=dict)  # by code
    departments: dict[str, Department] = field(default_factory=dict)  # by slug
    laws: dict[str, Law] = field(default_factory=dict)  # by id
    schemes: dict[str, ConceptScheme] = field(default_factory=dict)  # by scheme name
    files: dict[str, SourceFile] = field(default_factory=dict)  # by path
    revision: str | None = None  # commit id, or None for the working tree

    # --- look-ups used by every front end ------------------------------------------
    def concept_label(self, scheme: str, key: str, lang: str = "zh") -> str:
        """Label of a code-list concept (``concept_label('power-type', '02')`` → 行政处罚)."""
        s = self.schemes.get(scheme)
        c = s.get(key) if s else None
        if c is None:
            return key
        return c.label_en if lang == "en" and c.label_en else c.label

    def power_model(self, code: str) -> Power:
        """The full model of a power (``SummarySnapshot`` reads it on demand)."""
        return self.powers[code]

    def forget_model(self, code: str) -> None:
        """Drop a model read on demand (nothing to drop here)."""

    def in_force(self) -> list[Power]:
        return [p for p in self.powers.values() if p.in_force]

    def powers_of_department(self, slug: str) -> list[Power]:
        return sorted((p for p in self.powers.values() if p.department == slug),
                      key=lambda p: p.code)

    def powers_citing(self) -> dict[str, list[Power]]:
        """Law id → powers citing it (each power once), sorted by code."""
        citing: dict[str, dict[str, Power]] = defaultdict(dict)
        for p in self.powers.values():
            for c in p.citations:
                citing[c.law][p.code] = p
        return {law: sorted(ps.values(), key=lambda p: p.code) for law, ps in citing.items()}

    def sub_items(self) -> dict[str, list[Power]]:
        """Main item code → its sub-items."""
        subs: dict[str, list[Power]] = defaultdict(list)
        for p in self.powers.values():
            if p.main_item:
                subs[p.main_item].append(p)
        return subs

    def labels_key(self) -> str:
        """Id of every file whose names other records show (departments, laws, code lists):
        a page, row or index entry that shows such names is keyed on it."""
        digest = hashlib.sha1()
        for path, f in sorted(self.files.items()):
            if f.kind in ("department", "law", "vocabulary"):
                digest.update(f"{path}:{f.blob}\0".encode())
        return digest.hexdigest()

    def record_file(self, iri_or_code: str) -> SourceFile | None:
        """The file of a power (by code), department (slug) or law (id)."""
        key = local_name(iri_or_code)
        for table in (self.powers, self.departments, self.laws):
            rec = table.get(key)
            if rec is not None:
                return self.files.get(rec.path)
        return None

    def stats(self) -> dict:
        """Counts by status, type, department and level (the shape of `powers stats --json`);
        made once per snapshot (a snapshot is not changed once loaded): do not change it."""
        made = self.__dict__.get("_stats")
        if made is None:
            made = self.__dict__["_stats"] = self._count()
        return made

    def _count(self) -> dict:
        in_force = self.in_force()
        by_type: dict[str, int] = defaultdict(int)
        by_dept: dict[str, int] = defaultdict(int)
        by_level: dict[str, int] = defaultdict(int)
        by_status: dict[str, int] = defaultdict(int)
        for p in self.powers.values():
            by_status[p.status] += 1
        for p in in_force:
            by_type[p.power_type] += 1
            by_dept[p.department] += 1
            for lv in p.levels:
                by_level[lv] += 1
        return {
            "in_force": len(in_force),
            "abolished": sum(n for s, n in by_status.items() if s != "in-force"),
            "by_status": dict(sorted(by_status.items())),
            "departments": len(self.departments),
            "laws": len(self.laws),
            "by_type": dict(sorted(by_type.items())),
            "by_department": dict(sorted(by_dept.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_level": dict(sorted(by_level.items())),
        }

    def store(self) -> ox.Store:
        """An in-memory Oxigraph store of every file's triples (for SPARQL)."""
        return build_store(self.files.values())


def load_schemes(files: Iterable[SourceFile]) -> list[ConceptScheme]:
    """The concept schemes defined in vocabulary files (unparseable files are skipped)."""
    triples = []
    for src in files:
        try:
            triples += [q.triple for q in ox.parse(src.data, format=ox.RdfFormat.TURTLE)]
        except SyntaxError:
            continue
    return schemes_from_triples(index_triples(triples))


def load_snapshot(root: Path, *, files: list[SourceFile] | None = None, use_cache: bool = True,
                  revision: str | None = None, jobs: int | None = None) -> Snapshot:
    """Load every record of the registry at ``root`` (or of ``files``) into a ``Snapshot``."""
    root = check_root(root)
    complete = files is None
    files = files if files is not None else working_tree(root)
    cache = record_cache(root, enabled=use_cache and revision is None)
    records = [f for f in files if f.kind in ("power", "department", "law")]
    outcomes = process(records, cache=cache, jobs=jobs, complete=complete)
    cache.save()
    snap = Snapshot(files={f.path: f for f in files}, revision=revision)
    for o in outcomes:
        m = o.model
        if m is None or any(d.is_error for d in o.diagnostics):
            continue
        if isinstance(m, Power):
            snap.powers[m.code] = m
        elif isinstance(m, Department):
            snap.departments[m.slug] = m
        elif isinstance(m, Law):
            snap.laws[m.id] = m
    for scheme in load_schemes(f for f in files if f.kind == "vocabulary"):
        snap.schemes[scheme.name] = scheme
    return snap


def build_store(files: Iterable[SourceFile]) -> ox.Store:
    """Bulk-load the triples of every parseable file into an in-memory Oxigraph store."""
    store = ox.Store()
    for src in files:
        if not src.data:
            continue
        try:  # parse fully first, so a broken file adds nothing
            triples = list(ox.parse(src.data, format=ox.RdfFormat.TURTLE))
        except SyntaxError:
            continue
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return store
