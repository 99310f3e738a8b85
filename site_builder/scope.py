"""What a rebuild must gather: the page families a change can reach.

Every output of the site belongs to a family that is gathered as a whole: a power (its
page, Turtle and JSON-LD), a department (page, feed, files), a law (page, files), a type
or exercise level (all its listing pages), or the site itself (home, indexes, change log,
dumps, search index and the rest, which every build gathers). After a change to a few
power records, a rebuild gathers only the families those records show up in, before and
after the change; every other output is carried over from the previous build's manifest
unchanged. Families are found from ``PowerSummary`` values (the previous build's, by the
blob ids its manifest lists, and this build's), so no other record is read.

A record shows up in: its own page; the pages of its main item, its sub-items, its
successors and its predecessors (they link to it by title); its department's page and
feed; the listings of its type and exercise levels; the pages of the laws it cites; the
feeds of the departments whose recent changes list it. Anything wider — a department,
law, code list or the ontology changed, the code or the options of the build changed,
history rewritten — and the build gathers every family (``find_scope`` returns None);
the render still writes only the outputs whose key changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

#: Past this share of the powers changed, gathering everything costs no more.
_MOST = 0.25


def family_of(path: str) -> tuple[str, str] | None:
    """The family of an output path (None: the site's own pages and files)."""
    first, _, rest = path.partition("/")
    if not rest or first not in ("powers", "departments", "laws", "types", "levels"):
        return None
    name = rest.split("/", 1)[0]
    if name == "index.html":
        return None  # the index of its kind
    if "/" not in rest:  # a record's file beside its page: <name>.ttl, <name>.jsonld
        name = name.rsplit(".", 1)[0]
    kind = {"powers": "power", "departments": "department", "laws": "law",
            "types": "power-type", "levels": "exercise-level"}[first]
    return kind, name


@dataclass
class Scope:
    """The families a rebuild gathers (besides the site's own)."""

    powers: set[str] = field(default_factory=set)
    departments: set[str] = field(default_factory=set)
    laws: set[str] = field(default_factory=set)
    concepts: set[tuple[str, str]] = field(default_factory=set)  # (scheme, notation)

    def covers(self, path: str) -> bool:
        """Whether this build remakes ``path``'s family (the site's own: always)."""
        fam = family_of(path)
        if fam is None:
            return True
        kind, name = fam
        if kind == "power":
            return name in self.powers
        if kind == "department":
            return name in self.departments
        if kind == "law":
            return name in self.laws
        return (kind, name) in self.concepts

    def add_record(self, s, sub_items: dict[str, list[str]],
                   predecessors: dict[str, list[str]]) -> None:
        """The families a power summary ``s`` shows up in."""
        self.powers.add(s.code)
        if s.main_item:
            self.powers.add(s.main_item)
        self.powers.update(s.successors)
        self.powers.update(sub_items.get(s.code, ()))
        self.powers.update(predecessors.get(s.code, ()))
        self.departments.add(s.department)
        self.concepts.add(("power-type", s.power_type))
        self.concepts.update(("exercise-level", lv) for lv in s.levels)
        self.laws.update(c.law for c in s.citations)


MISSING = object()  # an old summary the cache no longer has


def find_scope(snap, previous_inputs: dict[str, str], old_summary: Callable[[str, str], object],
               changed_history: Iterable[str] = (), change_departments:
               Callable[[set[str]], set[str]] = lambda codes: set()) -> Scope | None:
    """The families to gather after the power files that differ from ``previous_inputs``
    (path → blob of the previous build) changed; None when every family must be gathered.

    ``old_summary(path, blob)``: the previous build's summary of a file (None: it had no
    usable record; ``MISSING``: not known). ``changed_history``: paths whose versions
    changed. ``change_departments(codes)``: departments whose feeds list those powers.
    """
    files = snap.files
    changed = [p for p, f in files.items() if previous_inputs.get(p) != f.blob]
    changed += [p for p in previous_inputs if p not in files]
    if any(_kind(p) != "power" for p in changed):
        return None
    by_path = {s.path: s for s in snap.powers.values()}
    if len(changed) > _MOST * max(1, len(by_path)):
        return None
    sub_items: dict[str, list[str]] = defaultdict(list)
    predecessors: dict[str, list[str]] = defaultdict(list)
    for s in snap.powers.values():
        if s.main_item:
            sub_items[s.main_item].append(s.code)
        for succ in s.successors:
            predecessors[succ].append(s.code)
    scope = Scope()
    for path in changed:
        old_blob = previous_inputs.get(path)
        if old_blob is not None:
            old = old_summary(path, old_blob)
            if old is MISSING:
                return None
            if old is not None:
                scope.add_record(old, sub_items, predecessors)
        new = by_path.get(path)
        if new is not None:
            scope.add_record(new, sub_items, predecessors)
    if scope.powers & getattr(snap, "duplicate_codes", set()):
        return None  # which of two files wins a code decides pages beyond these families
    for path in changed_history:
        s = by_path.get(path)
        if s is not None:
            scope.add_record(s, sub_items, predecessors)
        elif _kind(path) != "power":
            return None  # a department's or law's history: their pages and every row
    scope.departments |= change_departments(set(scope.powers))
    return scope


def _kind(path: str) -> str:
    from registry.source import kind_of

    return kind_of(path)
