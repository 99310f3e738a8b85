"""The search index: built from a snapshot, kept on disk, keyed on the snapshot's content.

The index lives in ``.powers-cache/search-<fingerprint>/``; the fingerprint covers every
input file's git blob id and the analysis code, so the index is rebuilt only when the
data (or the way it is analysed) changes. Building writes to a temporary folder that is
renamed into place, so a reader never sees half an index and two builders never clash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from whoosh import fields, index
from whoosh.filedb.filestore import FileStorage, RamStorage

from registry.cache import CACHE_DIR
from registry.model import Power
from registry.present import provision_text
from registry.snapshot import Snapshot

from .analyzer import ANALYSIS_VERSION, bigram_analyzer

#: Bump when the schema or the documents change.
SCHEMA_VERSION = "3"


def schema() -> fields.Schema:
    """Text fields (name, legal basis, department/type/level/status labels) analysed as
    CJK bigrams without positions; code, department, type, levels, status and star as
    exact terms (search facets from memory, but the index stands on its own)."""
    text = bigram_analyzer()
    return fields.Schema(
        code=fields.ID(stored=True, unique=True),
        name=fields.TEXT(analyzer=text, phrase=False, field_boost=3.0),
        basis=fields.TEXT(analyzer=text, phrase=False),
        extra=fields.TEXT(analyzer=text, phrase=False, field_boost=0.5),
        department=fields.ID,
        type=fields.ID,
        levels=fields.KEYWORD,
        status=fields.ID,
        star=fields.ID,
    )


@dataclass
class Doc:
    """What search shows of one power, kept in memory beside the index (by document number)."""

    code: str
    title: str
    department: str
    department_name: str
    power_type: str
    type_label: str
    levels: list[str]
    status: str
    star: int | None
    basis: str = field(repr=False, default="")
    extra: str = field(repr=False, default="")

    def __post_init__(self) -> None:
        self.title_low = self.title.lower()
        self.basis_low = self.basis.lower()
        self.extra_low = self.extra.lower()


def basis_text(snap: Snapshot, p: Power) -> str:
    """The legal-basis text searched: each law's title, provision and quoted text."""
    parts = []
    for c in p.citations:
        law = snap.laws.get(c.law)
        title = f"《{law.title}》" if law else ""
        parts.append(f"{title}{provision_text(c.article, c.paragraph, c.item)}：{c.quote}")
    return "\n".join(parts)


def make_doc(snap: Snapshot, p: Power) -> Doc:
    dept = snap.departments.get(p.department)
    name = dept.name if dept else p.department
    type_label = snap.concept_label("power-type", p.power_type)
    extra = " ".join([name, *(dept.alt_names if dept else []), type_label, p.handling_unit,
                      *(snap.concept_label("exercise-level", lv) for lv in p.levels),
                      snap.concept_label("status", p.status)])
    return Doc(code=p.code, title=p.title, department=p.department, department_name=name,
               power_type=p.power_type, type_label=type_label, levels=list(p.levels),
               status=p.status, star=p.star_rating, basis=basis_text(snap, p), extra=extra)


def fingerprint(snap: Snapshot) -> str:
    """Content id of what the index is built from: input blobs + analysis + schema code."""
    h = hashlib.sha1(f"{ANALYSIS_VERSION}\0{SCHEMA_VERSION}\0".encode())
    here = Path(__file__).parent
    for name in ("index.py", "analyzer.py"):
        h.update((here / name).read_bytes())
    for path in sorted(snap.files):
        h.update(f"{path}\0{snap.files[path].blob}\n".encode())
    return h.hexdigest()[:20]


#: Below this many powers one process writes the index; above, one segment per process.
PARALLEL_FROM = 2000
_FORKED: Snapshot | None = None  # the snapshot a forked segment writer reads


def _write(storage_dir: Path, snap: Snapshot, procs: int) -> None:
    """Write the index; with ``procs`` > 1, each process writes one segment of the codes.

    (whoosh's own MpWriter pickles every document to its workers and was slower than one
    process here; forked workers read the snapshot they inherit instead.)
    """
    global _FORKED
    ix = index.create_in(str(storage_dir), schema())
    codes = sorted(snap.powers)
    if procs <= 1 or len(codes) < PARALLEL_FROM:
        _add_all(ix.writer(limitmb=512), snap, codes)
        return
    size = -(-len(codes) // procs)
    parts = [codes[i:i + size] for i in range(0, len(codes), size)]
    _FORKED = snap
    try:
        with ProcessPoolExecutor(len(parts), mp_context=get_context("fork")) as pool:
            segments = list(pool.map(_write_segment, [str(storage_dir)] * len(parts), parts))
    finally:
        _FORKED = None
    writer = ix.writer()
    writer._close_segment()  # whoosh's multi-segment commit, as MpWriter(multisegment) does
    writer._commit_toc(segments)
    writer._finish()


def _write_segment(storage_dir: str, codes: list[str]):
    """(In a forked process) write one segment holding ``codes``; return its descriptor."""
    from whoosh.writing import SegmentWriter

    assert _FORKED is not None
    storage = _OwnTempStorage(storage_dir)
    writer = SegmentWriter(storage.open_index(), _lk=False, limitmb=512)
    _add_docs(writer, _FORKED, codes)
    segment = writer._finalize_segment()
    writer._tempstorage.destroy()
    return segment


class _OwnTempStorage(FileStorage):
    """The index folder, with temporary files (sort runs) in a folder of this process's
    own: whoosh names it after the index, so parallel writers would share, and delete, it."""

    def temp_storage(self, name=None):
        return super().temp_storage(f"{name or 'tmp'}.{os.getpid()}")


def _add_docs(writer, snap: Snapshot, codes: list[str]) -> None:
    for code in codes:
        p = snap.powers[code]
        doc = make_doc(snap, p)
        writer.add_document(code=p.code, name=p.title, basis=doc.basis, extra=doc.extra,
                            department=p.department, type=p.power_type,
                            levels=" ".join(p.levels), status=p.status,
                            star=str(p.star_rating or ""))


def _add_all(writer, snap: Snapshot, codes: list[str]) -> None:
    _add_docs(writer, snap, codes)
    writer.commit()


def build(snap: Snapshot, target: Path, procs: int = 1) -> Path:
    """Build the index of ``snap`` into ``target`` atomically (temp folder + rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-search-", dir=target.parent))
    try:
        _write(tmp, snap, procs)
        try:
            os.rename(tmp, target)
        except OSError:  # another process built it first: theirs is as good
            if not (target / "_MAIN_WRITELOCK").exists() and not _has_index(target):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _has_index(folder: Path) -> bool:
    return folder.is_dir() and index.exists_in(str(folder))


def remove_stale(cache: Path, keep: str) -> None:
    """Delete the index folders of earlier data (only ours: ``search-*``)."""
    if not cache.is_dir():
        return
    for d in cache.glob("search-*"):
        if d.name != keep and d.is_dir():
            shutil.rmtree(d, ignore_errors=True)


def index_dir(root: Path, snap: Snapshot) -> Path:
    return Path(root) / CACHE_DIR / f"search-{fingerprint(snap)}"


def default_procs() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def ensure(root: Path, snap: Snapshot, procs: int | None = None) -> tuple[Path, bool]:
    """The index folder of ``snap`` under ``root``, built if missing. Returns (folder, built)."""
    folder = index_dir(root, snap)
    if _has_index(folder):
        return folder, False
    build(snap, folder, procs=default_procs() if procs is None else procs)
    remove_stale(folder.parent, folder.name)
    return folder, True


def ensure_in_subprocess(root: Path, timeout: float = 600) -> bool:
    """Build the index of the registry at ``root`` in a fresh process (which may fork
    segment writers safely: a server's process has threads). True when it succeeded."""
    code = ("import sys; from pathlib import Path; from registry.snapshot import load_snapshot; "
            "from search.index import ensure; r = Path(sys.argv[1]); ensure(r, load_snapshot(r))")
    try:
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parents[1])  # this checkout importable first
        env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                    else "")
        subprocess.run([sys.executable, "-c", code, str(root)], check=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def load_into_memory(folder: Path):
    """Open the index from a RAM copy of its files (a few MB): no file I/O while searching."""
    storage = RamStorage()
    for name in os.listdir(folder):
        path = folder / name
        if path.is_file():
            with storage.create_file(name) as out:
                out.write(path.read_bytes())
    return storage.open_index()


def build_in_memory(snap: Snapshot):
    """An index held only in memory (tests, or a registry folder that cannot be written)."""
    storage = RamStorage()
    ix = storage.create_index(schema())
    _add_all(ix.writer(), snap, sorted(snap.powers))
    return ix
