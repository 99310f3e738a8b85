"""Versions of the registry from git: record histories, past snapshots, recent changes.

Git is the version store. Everything is read from the object store with git plumbing
(``registry.gitstore``): no checkout, no change to the working tree. A record is
followed by its identity, not only its path: a power's file is named by its code, so
``data/powers/a/X.ttl`` moved to ``data/powers/b/X.ttl`` is one history whether git
saw a rename or a delete and an add; a rename to another code (renumbering) is followed
through git's rename detection (``-M``).

Each version carries the semantic change against the version before (``registry.diff``):
``added``, ``modified``, ``moved``, ``abolished``, ``removed`` or ``formatting`` (the
graph did not change).
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from .cache import RECORD_SHARDS, RecordCache, code_fingerprint, record_cache
from .diff import FieldChange, Labels, SemanticDiff, graph_changes, record_changes, semantic_diff
from .gitstore import GitError, LogCommit, Repo, RevisionNotFound, is_date
from .loader import FileOutcome
from .model import Department, Law, Power
from .records import read_record
from .snapshot import Snapshot, load_snapshot
from .source import (
    DATA_DIR,
    DEPARTMENTS_DIR,
    LAWS_DIR,
    POWERS_DIR,
    VOCABULARIES_DIR,
    SourceFile,
    check_root,
    kind_of,
    read_file,
)

__all__ = [
    "Change", "ChangedRecord", "FieldChange", "GitError", "RevisionNotFound", "SemanticDiff",
    "Version", "all_histories", "changes_since", "lineages_of", "recent_changes", "record_history",
    "record_identity", "resolve_revision", "revision_diff", "semantic_diff", "snapshot_at",
]

_CODE = re.compile(r"^\d{12}$")
_STEM = re.compile(r"^[A-Za-z0-9_\-]+$")
#: Snapshots kept in memory by this process (an API serving ?at= reads reuses them).
_MEMORY_SNAPSHOTS = 4
#: Snapshot files kept in .powers-cache/ (oldest removed first).
_DISK_SNAPSHOTS = 8
#: Files to parse from which a snapshot is read by worker processes.
_PARALLEL_FROM = 1500


@dataclass
class Version:
    """One version of one record file, with the change against the version before."""

    commit: str
    short: str
    author: str
    date: str  # ISO 8601 with offset
    message: str
    path: str  # path after the change (the path deleted, for "removed")
    change: str  # added | modified | moved | abolished | removed | formatting
    fields: list[FieldChange] = field(default_factory=list)
    old_path: str | None = None  # for moved records: the path before
    blob: str | None = None  # blob id of this version (None when removed)
    status: str = ""  # the record's status in this version (powers)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ChangedRecord:
    """A record changed by one commit."""

    code: str  # power code, department slug or law id
    title: str
    department: str  # slug ('' for laws)
    change: str
    fields: list[FieldChange] = field(default_factory=list)
    kind: str = "power"  # power | department | law | vocabulary | ontology
    path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Change:
    """One commit that changed the registry's data, and the records it changed."""

    commit: str
    short: str
    date: str
    author: str
    message: str
    items: list[ChangedRecord] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"commit": self.commit, "short": self.short, "date": self.date,
                "author": self.author, "message": self.message,
                "items": [i.to_dict() for i in self.items]}


# --- revisions and snapshots -------------------------------------------------------------

def resolve_revision(root: Path, rev_or_date: str) -> str:
    """The commit id of a commit, tag, branch, ``HEAD~3`` or date (last commit on/before it).

    Raises ``RevisionNotFound`` (bilingual message) for anything else.
    """
    return Repo(root).resolve(rev_or_date)


_memory: OrderedDict[str, Snapshot] = OrderedDict()
_memory_lock = threading.Lock()  # the API reads past revisions from several threads


def snapshot_at(root: Path, rev_or_date: str) -> Snapshot:
    """The registry as it stood at a revision or date, read from git blobs (no checkout).

    Cached by the id of the ``data/`` tree: in memory for this process and on disk in
    ``.powers-cache/`` (so a second read, even in a new process, skips the parsing).
    """
    root = check_root(root)
    repo = Repo(root)
    commit = repo.resolve(rev_or_date)
    tree = repo.tree_of(commit) or "empty"
    key = f"{root}\0{tree}"
    with _memory_lock:
        snap = _memory.get(key)
    if snap is None:
        cache = RecordCache(root, f"snapshot-{tree}", code_fingerprint())
        snap = cache.get("snapshot", tree)
        if not isinstance(snap, Snapshot):
            snap = _load_at(root, repo.files_at(commit), commit)
            cache.put("snapshot", tree, snap)
            cache.save()
            _prune_snapshot_files(cache.file.parent)
    with _memory_lock:
        _memory[key] = snap
        _memory.move_to_end(key)
        while len(_memory) > _MEMORY_SNAPSHOTS:
            _memory.popitem(last=False)
    return dataclasses.replace(snap, revision=commit)


def _load_at(root: Path, files: list[SourceFile], commit: str) -> Snapshot:
    """``load_snapshot`` of a past revision, reusing the models the working tree's record
    cache already holds for identical files (same path and blob): most files of a past
    revision are unchanged, so only the others are parsed. The cache is only read here:
    writing a past revision's entries into it would evict the working tree's."""
    known = record_cache(root)
    reuse = {}
    for key, entry in known.entries.items():
        if isinstance(entry, FileOutcome):
            usable = entry.model is not None and not any(d.is_error for d in entry.diagnostics)
            reuse[key] = entry.model if usable else None
    return _assemble(root, files, commit, reuse)


def _models_of(snap: Snapshot) -> dict[tuple[str, str], object]:
    """(path, blob) → model of every record a snapshot holds."""
    found = {}
    for table in (snap.powers, snap.departments, snap.laws):
        for m in table.values():
            src = snap.files.get(m.path)
            if src is not None:
                found[(m.path, src.blob)] = m
    return found


def _assemble(root: Path, files: list[SourceFile], revision: str | None,
              reuse: dict[tuple[str, str], object]) -> Snapshot:
    """``load_snapshot`` of ``files``, parsing only the record files ``reuse`` does not hold
    ((path, blob) → model, or None for a file whose errors keep it out of a snapshot)."""
    kinds = ("power", "department", "law")
    todo = [f for f in files if f.kind not in kinds or (f.path, f.blob) not in reuse]
    # worker processes pay off only for thousands of files (forking costs ~0.1 s)
    jobs = None if len(todo) > _PARALLEL_FROM else 1
    snap = load_snapshot(root, files=todo, revision=revision, use_cache=False, jobs=jobs)
    for f in files:
        m = reuse.get((f.path, f.blob)) if f.kind in kinds else None
        if isinstance(m, Power):
            snap.powers.setdefault(m.code, m)
        elif isinstance(m, Department):
            snap.departments.setdefault(m.slug, m)
        elif isinstance(m, Law):
            snap.laws.setdefault(m.id, m)
    snap.files = {f.path: f for f in files}
    return snap


def _prune_snapshot_files(folder: Path) -> None:
    try:
        files = sorted(folder.glob("snapshot-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in files[:-_DISK_SNAPSHOTS]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def revision_diff(root: Path, rev_a: str, rev_b: str | None = None) -> SemanticDiff:
    """The semantic diff from ``rev_a`` to ``rev_b`` (default: the working tree, counting
    uncommitted and untracked files). Only the files that differ are parsed."""
    root = check_root(root)
    repo = Repo(root)
    a = repo.resolve(rev_a)
    b = repo.resolve(rev_b) if rev_b else None
    changed = repo.changed_between(a, b) if b else repo.changed_since(a)
    snap_a, snap_b = partial_snapshots(root, repo, a, b, changed)
    return semantic_diff(snap_a, snap_b)


def partial_snapshots(root: Path, repo: Repo, a: str, b: str | None,
                      changed: dict[str, str]) -> tuple[Snapshot, Snapshot]:
    """Snapshots at ``a`` and ``b`` (None: the working tree) holding only the changed power
    files plus every department, law and vocabulary (what labels need)."""
    context = (DEPARTMENTS_DIR + "/", LAWS_DIR + "/", VOCABULARIES_DIR + "/")
    changed_powers = {p for p in changed if p.startswith(POWERS_DIR + "/")}

    def at_commit(commit: str) -> list[SourceFile]:
        listing = repo.ls_tree(commit)
        wanted = {p: oid for p, oid in listing.items()
                  if p.endswith(".ttl") and (p.startswith(context) or p in changed_powers)}
        blobs = repo.read_blobs(list(wanted.values()))
        return [SourceFile(p, blobs.get(oid, b""), oid) for p, oid in sorted(wanted.items())]

    def at_worktree() -> list[SourceFile]:
        paths = []
        for folder in context:
            base = root / folder
            if base.is_dir():
                paths += [f"{folder}{p.name}" for p in sorted(base.glob("*.ttl"))]
        paths += sorted(p for p in changed_powers if (root / p).is_file())
        return [read_file(root, p) for p in paths]

    # a few hundred small files: parsing them beats loading the whole record cache; the
    # departments and laws B shares with A (most of them) are parsed once
    snap_a = _assemble(root, at_commit(a), a, {})
    snap_b = _assemble(root, at_commit(b) if b else at_worktree(), b, _models_of(snap_a))
    return snap_a, snap_b


# --- record histories --------------------------------------------------------------------

def record_identity(path: str) -> str:
    """What a record is, whatever folder it sits in: ``power:<code>``, ``law:<id>``…"""
    kind = kind_of(path)
    if kind in ("power", "department", "law"):
        name = path.rpartition("/")[2]
        dot = name.rfind(".")  # the stem as pathlib has it, without making a path object
        return f"{kind}:{name[:dot] if 0 < dot < len(name) - 1 else name}"
    return f"file:{path}"


class _Models:
    """Models of blobs (path, blob) → model, read in batches and cached on disk."""

    def __init__(self, root: Path, repo: Repo, persist: bool = True):
        self.repo = repo
        # a single record's history parses a few blobs: faster than loading the disk cache
        self.cache = RecordCache(root, "history", code_fingerprint(), enabled=persist,
                                 shards=RECORD_SHARDS)
        self.data: dict[str, bytes] = {}

    def need(self, pairs: set[tuple[str, str]], with_data: set[str] = frozenset()) -> None:
        """Read and parse every (path, blob) not in the cache, in one cat-file call."""
        missing = {(p, b) for p, b in pairs if b and self.cache.get(p, b) is None}
        oids = {b for _, b in missing} | {b for b in with_data if b not in self.data}
        if not oids:
            return
        blobs = self.repo.read_blobs(sorted(oids))
        for oid in with_data:
            if oid in blobs:
                self.data[oid] = blobs[oid]
        for path, oid in missing:
            src = SourceFile(path=path, data=blobs.get(oid, b""), blob=oid)
            if kind_of(path) in ("power", "department", "law"):
                model = read_record(src).model
            else:
                model = None
            self.cache.put(path, oid, ("model", model))

    def model(self, path: str | None, blob: str | None):
        if not path or not blob:
            return None
        entry = self.cache.get(path, blob)
        return entry[1] if isinstance(entry, tuple) else None

    def save(self) -> None:
        self.cache.save()


@dataclass
class _Step:
    """What one commit did to one record: before and after (path, blob)."""

    commit: LogCommit
    old_path: str | None = None
    old_blob: str | None = None
    new_path: str | None = None
    new_blob: str | None = None


def lineages_of(commits: list[LogCommit]) -> dict[str, list[_Step]]:
    """Group raw changes by record lineage (newest first), following moves and renames."""
    lineages: dict[str, list[_Step]] = defaultdict(list)
    alias: dict[str, str] = {}  # identity as of the commit being read → lineage key
    for c in commits:  # newest first
        per: dict[str, _Step] = {}
        renamed_from: list[tuple[str, str]] = []
        for ch in c.changes:
            ident = record_identity(ch.path)
            key = alias.setdefault(ident, ident)
            step = per.setdefault(key, _Step(commit=c))
            if ch.status == "D":
                step.old_path, step.old_blob = ch.path, ch.old_blob
            elif ch.status == "A":
                step.new_path, step.new_blob = ch.path, ch.new_blob
            else:  # M, T, R
                step.old_path = ch.old_path or ch.path
                step.old_blob = ch.old_blob
                step.new_path, step.new_blob = ch.path, ch.new_blob
                if ch.status == "R" and ch.old_path and record_identity(ch.old_path) != ident:
                    renamed_from.append((record_identity(ch.old_path), key))
        for old_ident, key in renamed_from:
            # before this commit the record had another identity (renumbered)
            for ident, k in list(alias.items()):
                if k == key and ident != old_ident:
                    del alias[ident]
            alias[old_ident] = key
        for key, step in per.items():
            lineages[key].append(step)
    return lineages


def _versions(steps: list[_Step], models: _Models, labels: Labels) -> list[Version]:
    # field changes from the models; where the models are equal, compare the graphs, whose
    # blobs are read in one batch
    changes: list[list[FieldChange]] = []
    undecided: set[str] = set()
    for s in steps:
        before = models.model(s.old_path, s.old_blob)
        after = models.model(s.new_path, s.new_blob)
        found: list[FieldChange] = []
        if s.old_blob and s.new_blob and before is not None and after is not None:
            found = record_changes(before, after, labels)
            if not found and s.old_blob != s.new_blob:
                undecided |= {s.old_blob, s.new_blob}
        changes.append(found)
    if undecided:
        models.need(set(), undecided)
    out = []
    for s, fields_ in zip(steps, changes, strict=True):
        before = models.model(s.old_path, s.old_blob)
        after = models.model(s.new_path, s.new_blob)
        if s.new_blob is None:
            change = "removed"
        elif s.old_blob is None:
            change = "added"
        else:
            if not fields_ and s.old_blob in models.data and s.new_blob in models.data:
                fields_ = graph_changes(models.data[s.old_blob], models.data[s.new_blob])
            if isinstance(before, Power) and isinstance(after, Power) and before.in_force \
                    and not after.in_force:
                change = "abolished"
            elif s.old_path != s.new_path:
                change = "moved"
            elif fields_ or before is None or after is None:
                change = "modified"  # (a side that does not parse is a change all the same)
            else:
                change = "formatting"
        status = after.status if isinstance(after, Power) else (
            before.status if isinstance(before, Power) else "")
        c = s.commit
        out.append(Version(
            commit=c.commit, short=c.short, author=c.author, date=c.date, message=c.message,
            path=s.new_path or s.old_path or "", change=change, fields=fields_,
            old_path=s.old_path if s.old_path and s.new_path and s.old_path != s.new_path
            else None,
            blob=s.new_blob, status=status))
    return out


def _pairs_to_parse(steps: list[_Step]) -> set[tuple[str, str]]:
    pairs = set()
    for s in steps:
        if s.old_blob and s.new_blob:  # only modifications need both models
            pairs.add((s.old_path, s.old_blob))
            pairs.add((s.new_path, s.new_blob))
    return pairs


def labels_of_worktree(root: Path) -> Labels:
    """Names of departments, laws and concepts as the working tree has them."""
    paths = []
    for folder in (DEPARTMENTS_DIR, LAWS_DIR, VOCABULARIES_DIR):
        base = Path(root) / folder
        if base.is_dir():
            paths += [f"{folder}/{p.name}" for p in sorted(base.glob("*.ttl"))]
    # a few hundred small files: parsing them beats loading the whole record cache
    return Labels(load_snapshot(root, files=[read_file(root, p) for p in paths], use_cache=False,
                                jobs=1))


def _pathspec(root: Path, code_or_path: str) -> str:
    """The pathspec that finds every file a record ever had."""
    text = code_or_path.strip()
    if "/" in text or text.endswith(".ttl"):
        rel = Path(text)
        if rel.is_absolute():
            rel = rel.resolve().relative_to(Path(root).resolve())
        path = rel.as_posix()
        if kind_of(path) == "power":
            return f"{POWERS_DIR}/*/{PurePosixPath(path).name}"
        return path
    if not _STEM.match(text):
        raise KeyError(text)
    if _CODE.match(text):
        return f"{POWERS_DIR}/*/{text}.ttl"
    for folder in (DEPARTMENTS_DIR, LAWS_DIR):
        if (Path(root) / folder / f"{text}.ttl").exists():
            return f"{folder}/{text}.ttl"
    return f"{DATA_DIR}/*/{text}.ttl"


def record_history(root: Path, code_or_path: str, *, labels: Labels | None = None) -> list[Version]:
    """The versions of one record (a power code, department slug, law id or file path),
    newest first, following moves between department folders and renumbering.

    Returns [] when git knows no such record. Raises ``GitError`` outside a repository.
    """
    root = check_root(root)
    repo = Repo(root)
    try:
        spec = _pathspec(root, code_or_path)
    except (KeyError, ValueError):
        return []
    commits = repo.log(spec)
    lineages = lineages_of(commits)
    if not lineages:
        return []
    # the lineage of the record asked for: the one with the newest step
    key = max(lineages, key=lambda k: _newest_index(commits, lineages[k]))
    steps = lineages[key]
    steps += _renumbered_before(repo, steps)
    models = _Models(root, repo, persist=False)
    models.need(_pairs_to_parse(steps))
    versions = _versions(steps, models, labels or labels_of_worktree(root))
    models.save()
    return versions


def _newest_index(commits: list[LogCommit], steps: list[_Step]) -> int:
    order = {c.commit: -i for i, c in enumerate(commits)}
    return max(order.get(s.commit.commit, -10**9) for s in steps)


def _renumbered_before(repo: Repo, steps: list[_Step], depth: int = 0) -> list[_Step]:
    """If the oldest version was a rename from another code, that code's older steps."""
    if not steps or depth > 4:
        return []
    first = steps[-1]
    if first.old_blob is not None or first.new_path is None:
        return []
    kind = kind_of(first.new_path)
    if kind not in ("power", "department", "law"):
        return []
    folder = POWERS_DIR if kind == "power" else str(PurePosixPath(first.new_path).parent)
    around = repo.log(folder, rev=first.commit.commit, limit=1)
    for c in around:
        for ch in c.changes:
            if ch.status == "R" and ch.path == first.new_path and ch.old_path:
                first.old_path, first.old_blob = ch.old_path, ch.old_blob
                parent = f"{c.commit}~1"
                try:
                    older = repo.log(_pathspec(repo.root, ch.old_path), rev=parent)
                except GitError:
                    return []
                lineages = lineages_of(older)
                key = record_identity(ch.old_path)
                more = lineages.get(key, [])
                return more + _renumbered_before(repo, more, depth + 1)
    return []


def all_histories(root: Path, *, labels: Labels | None = None,
                  _models: _Models | None = None) -> dict[str, list[Version]]:
    """Current path → its versions (newest first) for every record file git has seen, in
    one ``git log`` pass over ``data/``; a removed record is listed under its last path.

    Returns {} when ``root`` is not in a git repository or has no commits.
    """
    root = check_root(root)
    try:
        repo = Repo(root)
        commits = repo.log(DATA_DIR)
    except GitError:
        return {}
    models = _models or _Models(root, repo)
    out: dict[str, list[Version]] = {}
    for versions in _lineage_versions(lineages_of(commits), models,
                                      labels or labels_of_worktree(root)).values():
        if versions:
            out[versions[0].path] = versions
    models.save()
    return out


def _lineage_versions(lineages: dict[str, list[_Step]], models: _Models, labels: Labels
                      ) -> dict[str, list[Version]]:
    """Each lineage's versions, the models they compare read in one batch."""
    pairs: set[tuple[str, str]] = set()
    for steps in lineages.values():
        pairs |= _pairs_to_parse(steps)
    models.need(pairs)
    return {key: _versions(steps, models, labels) for key, steps in lineages.items()}


def recent_changes(root: Path, limit: int = 50, *, since: str | None = None,
                   labels: Labels | None = None, _models: _Models | None = None) -> list[Change]:
    """The last ``limit`` commits that changed data, newest first, each with the records
    it changed and how. ``since`` (a revision or date) keeps only later commits.

    Returns [] when ``root`` is not in a git repository.
    """
    root = check_root(root)
    try:
        repo = Repo(root)
    except GitError:
        return []
    if since and is_date(since):
        commits = [c for c in repo.log(DATA_DIR, limit=limit) if c.date[:10] >= since]
    elif since:
        commits = repo.log(DATA_DIR, rev=f"{repo.resolve(since)}..HEAD", limit=limit)
    else:
        commits = repo.log(DATA_DIR, limit=limit)
    models = _models or _Models(root, repo)
    out = _changes_of(commits, models, labels or labels_of_worktree(root))
    models.save()
    return out


def _changes_of(commits: list[LogCommit], models: _Models, labels: Labels) -> list[Change]:
    pairs: set[tuple[str, str]] = set()
    for c in commits:
        for ch in c.changes:
            if ch.new_blob:
                pairs.add((ch.path, ch.new_blob))
            if ch.old_blob:
                pairs.add((ch.old_path or ch.path, ch.old_blob))
    models.need(pairs)
    out = []
    for c in commits:
        change = Change(commit=c.commit, short=c.short, date=c.date, author=c.author,
                        message=c.message)
        for key, steps in lineages_of([c]).items():
            v = _versions(steps, models, labels)[0]
            model = models.model(v.path, steps[0].new_blob) or models.model(
                steps[0].old_path, steps[0].old_blob)
            change.items.append(_changed_record(key, v, model))
        change.items.sort(key=lambda i: (i.kind != "power", i.code))
        out.append(change)
    return out


def changes_since(root: Path, since: str, limit: int = 50, *, labels: Labels | None = None
                  ) -> tuple[dict[str, list[Version]], list[Change]] | None:
    """What the commits after ``since`` did: the new versions of each record they changed
    (by ``record_identity``, newest first) and those commits as ``Change`` (at most
    ``limit``), so that a caller holding ``all_histories`` and ``recent_changes`` as of
    ``since`` extends them instead of reading all of git's history again.

    None when that would not give what reading everything gives: HEAD does not continue
    ``since`` in a line (a merge, a rewritten or unknown commit), or a commit renumbers a
    record (a rename to another identity joins two lineages).
    """
    root = check_root(root)
    try:
        repo = Repo(root)
        head = repo.head()
        if head is None or not repo.continues(since, head):
            return None
        commits = repo.log(DATA_DIR, rev=f"{since}..{head}")
    except GitError:
        return None
    for c in commits:
        for ch in c.changes:
            if ch.status == "R" and ch.old_path and \
                    record_identity(ch.old_path) != record_identity(ch.path):
                return None
    models = _Models(root, repo)
    labels = labels or labels_of_worktree(root)
    versions = _lineage_versions(lineages_of(commits), models, labels)
    changes = _changes_of(commits[:limit], models, labels)
    models.save()
    return versions, changes


def histories_and_changes(root: Path, limit: int = 50, *, labels: Labels | None = None
                          ) -> tuple[dict[str, list[Version]], list[Change]]:
    """``all_histories`` and ``recent_changes(limit)`` together, reading the cache of past
    versions' models once (what the site build needs)."""
    root = check_root(root)
    try:
        models = _Models(root, Repo(root))
    except GitError:
        return {}, []
    return (all_histories(root, labels=labels, _models=models),
            recent_changes(root, limit, labels=labels, _models=models))


def _changed_record(key: str, v: Version, model: object) -> ChangedRecord:
    kind, _, name = key.partition(":")
    if isinstance(model, Power):
        return ChangedRecord(code=model.code, title=model.title, department=model.department,
                             change=v.change, fields=v.fields, kind="power", path=v.path)
    if isinstance(model, Department):
        return ChangedRecord(code=model.slug, title=model.name, department=model.slug,
                             change=v.change, fields=v.fields, kind="department", path=v.path)
    if isinstance(model, Law):
        return ChangedRecord(code=model.id, title=model.title, department="", change=v.change,
                             fields=v.fields, kind="law", path=v.path)
    return ChangedRecord(code=PurePosixPath(v.path).stem, title=v.path, department="",
                         change=v.change, fields=v.fields,
                         kind=kind_of(v.path) if kind == "file" else kind, path=v.path)
