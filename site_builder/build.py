"""`powers build`: the static site in two phases, incremental, and never half-written.

Phase 1, gather: write the open-data dumps in a forked worker (on a rebuild forked
first, reading the registry itself), load the snapshot of summaries, take the git
history (the last build's extended by the commits since, or read whole in a worker),
make the typed context of every page a change reaches (``pages.py``, ``scope.py``; every
page on a first build), list every output file with a key that decides its bytes, and
check that every internal link and ``#fragment`` resolves. A broken link stops the build.

Phase 2, render: only outputs whose key differs from the previous build's manifest are
rendered, into a staging folder beside the output. The search index (``search_index.py``)
is patched: only the fragments of changed pages and the term shards holding their terms
are written. Then the staging folder is committed: a first build renames it into place;
a later one moves each new or changed file into the output with ``os.replace`` (new files
first, so no page links to a file not there yet; removed files last) and writes the
manifest last. Any failure before the commit leaves the previous site exactly as it was;
an interrupted commit (a crash while renaming) is repaired by the next build, because
the old manifest still describes what must be rewritten.

Why not render everything and swap whole folders: on the project machine, hard-linking
the 17,000 unchanged files into a new tree took 1.4 s and deleting the old tree 4.4 s,
which alone breaks the 3 s budget for rebuilding after one record changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import multiprocessing
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import orjson
from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from registry import present
from registry.cache import CACHE_DIR, RECORD_SHARDS, RecordCache, code_fingerprint
from registry.diff import Labels
from registry.jsonld import dumps as jsonld_dumps
from registry.jsonld import to_jsonld
from registry.namespaces import BASE
from registry.snapshot import Snapshot
from registry.source import check_root
from registry.summary import load_summaries
from registry.turtle import parse

from . import search_index, urls
from .history_store import HistoryStore
from .pages import Gatherer, Page, SiteData, extend_histories, nav_links, pack_histories
from .scope import MISSING, Scope, find_scope

MANIFEST = ".powers-build.json"
_FORMAT = 2
PACKAGE = Path(__file__).parent
STATIC = PACKAGE / "static"

#: How a record's change is named on history and change-log pages.
CHANGE_LABELS = {
    "added": "新增 added", "modified": "修改 modified", "moved": "移动 moved",
    "abolished": "取消 abolished", "removed": "删除 removed", "formatting": "格式 formatting",
}

Progress = Callable[[str], None]
#: Commits on the change log (and its feeds).
CHANGES_SHOWN = 50


class BuildError(Exception):
    """The site cannot be built; the previous output is untouched. ``problems`` lists why."""

    def __init__(self, message: str, problems: Iterable[str] = ()):
        super().__init__(message)
        self.problems = list(problems)


@dataclass
class BuildReport:
    out: Path
    pages: int = 0
    files: int = 0  # every file of the site (pages, records, dumps, assets, search index)
    rendered: int = 0  # pages rendered by this build
    reused: int = 0  # pages whose context was unchanged (not rendered, not written)
    written: int = 0  # files written by this build (search bundles not counted)
    removed: int = 0  # files of the previous build that no longer exist
    size: int = 0  # bytes of the whole site
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    search: search_index.SearchReport | None = None
    skipped_records: int = 0  # record files left out because they fail the record rules
    history: bool = False
    #: how the history was had: "saved" (this commit's, kept by a build before),
    #: "extended" (the last build's and the commits since) or "whole" (all of git's log)
    history_read: str = ""
    dumps: bool = False
    scoped: bool = False  # only the page families the change reaches were gathered

    def to_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k not in ("out", "search")}
        data["out"] = str(self.out)
        data["search"] = self.search.__dict__ if self.search else None
        return data


@dataclass
class Output:
    """One file of the site: its path, a key that decides its bytes, and how to make them
    (``make`` None: a worker already wrote it into the staging folder)."""

    path: str
    key: str
    make: Callable[[], bytes] | None
    page: Page | None = None
    page_url: str = ""  # a record file's: the page it sits beside


@dataclass(frozen=True)
class SiteContext:
    """What every template sees besides its page."""

    nav: tuple
    base_url: str  # without the final slash
    css: str
    search_js: str


# --- templates ------------------------------------------------------------------------

def _script_json(text: str) -> Markup:
    """JSON for a ``<script>`` element: ``<``, ``>`` and ``&`` as \\u escapes, so no record
    text can close the element or open a comment (the JSON means the same)."""
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _filesize(n: float) -> str:
    if n < 1024:
        return f"{int(n):,} B"
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            return f"{n:,.1f} {unit}"
    return str(n)


@lru_cache(maxsize=1)
def environment(cache: Path | None = None) -> Environment:
    """The templates' environment; with ``cache`` (a folder), compiled templates are kept
    there (compiling them took 0.15 s a build). Jinja checks each against its template's
    source only, and this environment's options (autoescape, say) are compiled in too: so
    they are kept in a subfolder named by the builder's fingerprint, the others removed."""
    bytecode = None
    if cache is not None:
        here = cache / site_fingerprint()[:16]
        with contextlib.suppress(OSError):
            if not here.is_dir():
                shutil.rmtree(cache, ignore_errors=True)
            here.mkdir(parents=True, exist_ok=True)
            bytecode = FileSystemBytecodeCache(str(here))
    env = Environment(
        loader=FileSystemLoader(PACKAGE / "templates"), bytecode_cache=bytecode,
        autoescape=select_autoescape(["html", "atom", "xml", "svg"], default=True),
        undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["script_json"] = _script_json
    env.filters["filesize"] = _filesize
    env.globals["labels"] = present.FIELD_LABELS
    env.globals["change_labels"] = CHANGE_LABELS
    return env


@lru_cache(maxsize=1)
def site_fingerprint() -> str:
    """Content id of the builder's code, templates and assets and of the registry code:
    any change to them re-renders every page."""
    digest = hashlib.sha1(code_fingerprint().encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".html", ".atom", ".css", ".js", ".svg"):
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _asset_url(name: str) -> str:
    data = (STATIC / name).read_bytes()
    return f"/static/{name}?v={hashlib.sha1(data).hexdigest()[:10]}"


def _key(*parts: str) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def search_fingerprint() -> str:
    """Content id of the code that decides what the index holds of a page (the registry's
    code, the page contexts and the index itself), so a template change does not
    re-index anything."""
    digest = hashlib.sha1(code_fingerprint().encode())
    digest.update(search_index.fingerprint().encode())
    for name in ("pages.py", "search_index.py", "search_terms.py"):
        digest.update((PACKAGE / name).read_bytes())
    return digest.hexdigest()


def _search_keys(snap: Snapshot, labels_key: str) -> dict[str, str]:
    """URL → key of what the search index holds of each searchable page. Power, department
    and law pages index only their record and the labels it shows, so the key is the
    record file's blob id, the labels' key and the code's fingerprint: known from the
    snapshot, before any page."""
    keys = {}
    salt = f"\0{labels_key}\0{search_fingerprint()}".encode()
    files = snap.files

    def key(path: str) -> str:  # one hash call per record: 41,000 of them at 40k
        src = files.get(path)
        return hashlib.sha1((src.blob if src else path).encode() + salt).hexdigest()

    for code, p in snap.powers.items():
        keys[urls.power(code)] = key(p.path)
    for slug, d in snap.departments.items():
        keys[urls.department(slug)] = key(d.path)
    for law_id, law in snap.laws.items():
        keys[urls.law(law_id)] = key(law.path)
    return keys


# --- worker processes ---------------------------------------------------------------------
# Forked after the snapshot is loaded, so they share it without pickling it.

_SNAP: Snapshot | None = None


def _dumps_key(snap: Snapshot) -> str:
    """The key of the dumps' bytes: the dumps code and every data file's blob id."""
    from registry.dumps import fingerprint

    listing = "\0".join(f"{p}:{f.blob}" for p, f in sorted(snap.files.items()))
    return _key("dumps", fingerprint(), listing)  # one string hashed, not 41,000 parts


def _dumps_job(root: str, folder: str, previous: str, old: dict
               ) -> tuple[list[dict] | None, str, float]:
    """The dumps of the registry at ``root``: of the build's snapshot when the worker was
    forked after the load, else read by the worker itself. A rebuild forks it before
    loading anything, so that it has the time the build needs (the dumps are the slowest
    step of a rebuild at 40,000 records); a first build forks it after, not to parse every
    record twice. Returns their descriptions (None: the previous build's dumps, ``old``,
    are still those of these files), the key of the files they were made from, and the
    seconds taken."""
    from registry.dumps import write_dumps

    started = time.perf_counter()
    snap = _SNAP if _SNAP is not None else load_summaries(Path(root))[0]
    key = _dumps_key(snap)
    if old.get("key") == key and all((Path(previous) / d["filename"]).is_file()
                                     for d in old.get("distributions", ())):
        return None, key, round(time.perf_counter() - started, 3)
    dists = write_dumps(snap, Path(folder), root=Path(root))
    return [d.to_dict() for d in dists], key, round(time.perf_counter() - started, 3)


def _history_job(root: str) -> tuple[dict, list]:
    from registry.history import Labels, histories_and_changes

    # the names of the working tree's departments, laws and concepts: this build's snapshot
    histories, changes = histories_and_changes(
        Path(root), CHANGES_SHOWN, labels=Labels(_SNAP) if _SNAP is not None else None)
    return pack_histories(histories), changes


class _Workers:
    """Runs each job in a forked process of its own when the platform can fork (else in
    this process); a job's process ends as soon as its result is taken, so the memory it
    used is given back before the build goes on (at 40,000 records the dumps job alone
    holds a few GB)."""

    def __init__(self, jobs: int):
        try:
            self.ctx = multiprocessing.get_context("fork") if jobs else None
        except ValueError:
            self.ctx = None
        self.pools: dict[Future, ProcessPoolExecutor] = {}

    def submit(self, fn: Callable, *args) -> Future:
        if self.ctx is not None:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=self.ctx)
            future = pool.submit(fn, *args)
            self.pools[future] = pool
            return future
        future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def result(self, future: Future):
        """The job's result; its process is shut down."""
        try:
            return future.result()
        finally:
            pool = self.pools.pop(future, None)
            if pool is not None:
                pool.shutdown(wait=True)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        self.pools.clear()


def _git_head(root: Path) -> str | None:
    from registry.gitstore import GitError, Repo

    try:
        return Repo(root).head()
    except GitError:
        return None


def _scope(snap: Snapshot, inputs: dict[str, str], summaries: RecordCache, old_history,
           new_history) -> Scope | None:
    """The families this rebuild gathers (``scope.find_scope``), from the previous build's
    inputs and history (None: all)."""
    def old_summary(path: str, blob: str):
        hit = summaries.get(path, blob)
        return MISSING if hit is None else hit[0]

    old_hist, old_changes = old_history or ({}, [])
    new_hist, new_changes = new_history
    changed_history = [p for p in set(old_hist) | set(new_hist)
                       if (old_hist.get(p) or ("",))[0] != (new_hist.get(p) or ("",))[0]]
    old_commits = {c.commit for c in old_changes}
    new_commits = {c.commit for c in new_changes}
    moved = old_commits ^ new_commits  # commits that entered or left the change log

    def change_departments(codes: set[str]) -> set[str]:
        """Departments whose feeds list one of ``codes`` or a commit entering or leaving."""
        found = set()
        for c in (*old_changes, *new_changes):
            for item in c.items:
                if c.commit in moved or (item.kind == "power" and item.code in codes):
                    found.add(item.department)
        return found

    return find_scope(snap, inputs, old_summary, changed_history, change_departments)


# --- outputs -------------------------------------------------------------------------------

def _record_outputs(snap: Snapshot, pages: list[Page], scope: Scope | None = None
                    ) -> list[Output]:
    """Each record's Turtle (its file's bytes) and JSON-LD (the text its page embeds: the
    same graph, made once), beside its page (of the records in ``scope``, when given)."""
    outs: list[Output] = []
    fp = site_fingerprint()
    by_url = {p.url: p for p in pages}

    def add(url_ttl: str, url_jsonld: str, path: str, page_url: str) -> None:
        src = snap.files[path]
        page = by_url.get(page_url)
        outs.append(Output(urls.output_path(url_ttl), "ttl:" + src.blob, src.read,
                           page_url=page_url))
        if page is not None:
            make = lambda p=page: (p.take_json_ld() + "\n").encode()  # noqa: E731
        else:
            make = lambda s=src: (jsonld_dumps(to_jsonld(parse(s.read()))) + "\n").encode()  # noqa: E731
        outs.append(Output(urls.output_path(url_jsonld), _key("jsonld", fp, src.blob), make,
                           page_url=page_url))

    def chosen(table: dict, keys: set[str] | None) -> Iterable:
        return table.items() if keys is None else ((k, table[k]) for k in keys if k in table)

    for code, p in chosen(snap.powers, scope and scope.powers):
        add(urls.power_file(code, "ttl"), urls.power_file(code, "jsonld"), p.path, urls.power(code))
    for slug, d in chosen(snap.departments, scope and scope.departments):
        add(urls.department_file(slug, "ttl"), urls.department_file(slug, "jsonld"), d.path,
            urls.department(slug))
    for law_id, law in chosen(snap.laws, scope and scope.laws):
        add(urls.law_file(law_id, "ttl"), urls.law_file(law_id, "jsonld"), law.path,
            urls.law(law_id))
    for path, src in snap.files.items():
        if src.kind == "vocabulary":
            name = Path(path).stem
        elif src.kind == "ontology":
            name = "powers"
        else:
            continue
        outs.append(Output(urls.output_path(urls.vocabulary_file(name)), "ttl:" + src.blob,
                           src.read))
    return outs


def _static_outputs() -> list[Output]:
    outs = []
    for path in sorted(STATIC.iterdir()):
        if path.is_file():
            data = path.read_bytes()
            outs.append(Output(f"static/{path.name}", "static:" + hashlib.sha1(data).hexdigest(),
                               lambda d=data: d))
    return outs


def _text_output(path: str, text: str) -> Output:
    data = text.encode("utf-8")
    return Output(path, "text:" + hashlib.sha1(data).hexdigest(), lambda: data)


def _sitemap(paths: Iterable[str], base_url: str) -> list[Output]:
    """``sitemap.xml`` (every page served as a folder, by URL) and ``robots.txt``."""
    locs = sorted(base_url + "/" + p[:-len("index.html")] for p in paths
                  if p == "index.html" or p.endswith("/index.html"))
    body = "".join(f"<url><loc>{loc}</loc></url>\n" for loc in locs)
    text = ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n")
    robots = f"User-agent: *\nAllow: /\nSitemap: {base_url}/sitemap.xml\n"
    return [_text_output("sitemap.xml", text), _text_output("robots.txt", robots)]


def _dcat_outputs(snap: Snapshot, dists: list, base_url: str, modified: str | None
                  ) -> tuple[list[Output], str]:
    """``data/catalog.ttl`` and ``data/catalog.jsonld``, and the JSON-LD text to embed."""
    from registry.dcat import dcat_triples, dcat_turtle

    triples = dcat_triples(snap, dists, base_url, **({"modified": modified} if modified else {}))
    doc = to_jsonld(triples)
    outs = [_text_output("data/catalog.ttl", dcat_turtle(triples)),
            _text_output("data/catalog.jsonld", jsonld_dumps(doc) + "\n")]
    return outs, json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def check_links(pages: list[Page], files: Iterable[str], extra: Iterable[tuple[str, str]] = (),
                check: list[Page] | None = None, trusted: Iterable[str] = ()) -> list[str]:
    """Every internal link that points nowhere: ``page → href`` lines.

    The links of ``check`` (default: every page) are checked against ``pages`` and
    ``files``. A link resolves when its path is a file of the site; a ``#fragment`` must
    be an anchor its target page declares (``Page.anchors``), unless the target is one of
    ``trusted``: files a scoped rebuild carried over, unchanged, from a build that checked
    the links to them.
    """
    trusted = set(trusted)
    by_path = {p.output_path: p for p in pages}
    known = set(files) | set(by_path)
    anchors: dict[str, set[str]] = {}
    problems = []
    checks = [(p.url, href) for p in (pages if check is None else check)
              for href in p.hrefs()] + list(extra)
    for source, href in checks:
        if not href.startswith("/") or href.startswith("//"):
            continue
        target, _, fragment = href.partition("#")
        path = urls.output_path(target.split("?", 1)[0])
        if path not in known:
            problems.append(f"{source} → {href}（目标不存在 target missing）")
        elif fragment and not (path in trusted and path not in by_path):
            if path not in anchors:
                page = by_path.get(path)
                anchors[path] = page.anchors() if page else set()
            if fragment not in anchors[path]:
                problems.append(f"{source} → {href}（锚点不存在 anchor missing）")
    return problems


def _pages_to_check(outputs: list[Output], known: set[str], previous: dict) -> list[Page] | None:
    """The pages whose links must be checked: those whose key changed, when the previous
    build checked the rest and no file they could link to is gone; else every page (None)."""
    before = previous.get("outputs") or {}
    if not before:
        return None
    gone = [p for p in before if p not in known and not p.startswith(search_index.FOLDER + "/")]
    if gone:
        return None
    return [o.page for o in outputs if o.page is not None and (before.get(o.path) or [None])[0]
            != o.key]


# --- the output folder ----------------------------------------------------------------------

def _read_manifest(out: Path) -> dict:
    try:
        data = orjson.loads((out / MANIFEST).read_bytes())
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return {}
    return data if isinstance(data, dict) and data.get("format") == _FORMAT else {}


def _check_out(out: Path, root: Path) -> None:
    """Refuse to write into a folder that is not a site this command built."""
    if out == root or out in root.parents or (root / "data") in (out, *out.parents):
        raise BuildError(f"输出目录不能是登记库或其上级目录：{out} / The output folder cannot be the "
                         f"registry, its data or a folder above it: {out}. 修正 Fix: --out _site")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).exists())):
        raise BuildError(
            f"{out} 已存在且不是 powers build 生成的网站，拒绝覆盖。/ {out} exists and is not a site "
            "built by powers build; refusing to replace it. 修正 Fix: 换一个 --out 目录，或先删除它 "
            "/ choose another --out folder or remove it first.")


class _Lock:
    """One build at a time per output folder (an advisory lock beside it)."""

    def __init__(self, out: Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(out.parent / f".{out.name}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self.file.close()
            raise BuildError(f"另一个构建正在写入 {out} / another build is writing {out}. 修正 Fix: "
                             "等它结束 / wait for it to finish.") from exc

    def release(self) -> None:
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def _prepare_staging(out: Path) -> Path:
    for stale in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out.parent.glob(f".{out.name}.removing-*"):
        _remove_in_background(stale)  # left by a removal that did not finish
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    staging.mkdir()
    return staging


class _Writer:
    """Writes the outputs whose key changed into the staging folder.

    For a first build the staging folder mirrors the site (it is renamed into place);
    otherwise files are staged flat (``000001``…) and moved to their paths on commit,
    which spares creating and removing thousands of folders.
    """

    def __init__(self, staging: Path, previous: dict, tree: bool):
        self.staging = staging
        self.tree = tree
        self.previous: dict[str, list] = previous.get("outputs", {})
        self.dirs: set[Path] = set()
        self.entries: dict[str, list] = {}  # path → [key, size]
        self.written: list[tuple[str, Path]] = []  # (site path, staged file)

    def unchanged(self, out: Output) -> bool:
        """Same key as in the previous build's manifest (the manifest is trusted: a file
        removed from the output by hand comes back with ``--full``)."""
        old = self.previous.get(out.path)
        if old is None or old[0] != out.key:
            return False
        self.entries[out.path] = old
        return True

    def write(self, out: Output, data: bytes | None) -> None:
        if data is None:  # written by a worker at its site path
            target = self.staging / out.path
            size = target.stat().st_size
        else:
            if self.tree:
                target = self.staging / out.path
                if target.parent not in self.dirs:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self.dirs.add(target.parent)
            else:
                target = self.staging / f"{len(self.written):06d}"
            target.write_bytes(data)
            size = len(data)
        self.entries[out.path] = [out.key, size]
        self.written.append((out.path, target))


def _commit(staging: Path, out: Path, written: list[tuple[str, Path]], previous: dict,
            manifest: dict) -> int:
    """Make the staged build the site; returns the number of files removed."""
    # orjson: the manifest of 40,000 records lists ~200,000 files (0.45 s with json)
    data = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS)
    if not out.exists():
        (staging / MANIFEST).write_bytes(data)
        os.rename(staging, out)
        return 0
    old_paths = previous.get("outputs", {})
    trash = staging / ".replaced"
    trash.mkdir()
    set_aside = 0

    def move(src: Path, rel: str) -> None:
        nonlocal set_aside
        target = out / rel
        if (old_paths.get(rel) or (None, 0))[1] > _BIG:
            # set the old file aside first: replacing it would free its blocks here
            with contextlib.suppress(FileNotFoundError):
                os.rename(target, trash / str(set_aside))
                set_aside += 1
        try:
            os.replace(src, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, target)

    for rel, src in sorted(written, key=lambda w: w[0] in old_paths):  # new, then changed
        move(src, rel)
    removed = [p for p in old_paths if p not in manifest["outputs"]]
    for rel in removed:
        with contextlib.suppress(FileNotFoundError):
            (out / rel).unlink()
    for parent in sorted({(out / rel).parent for rel in removed}, key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            parent.rmdir()  # only if empty
    tmp = staging / MANIFEST
    tmp.write_bytes(data)
    os.replace(tmp, out / MANIFEST)
    if set_aside:
        _remove_in_background(staging)
    else:
        shutil.rmtree(staging, ignore_errors=True)
    return len(removed)


#: Files bigger than this (the dumps) are removed by a process the build does not wait for.
_BIG = 1 << 24


def _remove_in_background(folder: Path) -> None:
    """Remove ``folder`` in a grandchild process: freeing the blocks of a gigabyte of old
    dumps takes 0.5–0.8 s on the project machine, and nothing waits for it (what a removal
    cut short leaves, the next build removes)."""
    if not hasattr(os, "fork"):
        shutil.rmtree(folder, ignore_errors=True)
        return
    gone = folder
    if ".removing-" not in folder.name:
        # another name first, so that the next build (of this very process, maybe) cannot
        # stage files into the folder being removed
        gone = folder.with_name(folder.name.replace(".staging-", ".removing-") +
                                f"-{uuid.uuid4().hex[:12]}")
    try:
        if gone != folder:
            os.rename(folder, gone)
        pid = os.fork()
    except OSError:
        shutil.rmtree(gone if gone.exists() else folder, ignore_errors=True)
        return
    if pid == 0:  # the child: fork the remover, end at once (so no zombie is left)
        try:
            if os.fork() == 0:
                shutil.rmtree(gone, ignore_errors=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


# --- the build ---------------------------------------------------------------------------------

def build(root: Path, out: Path | None = None, *, base_url: str = BASE, search: bool = True,
          incremental: bool = True, history: bool = True, dumps: bool = True,
          jobs: int = 2, progress: Progress | None = None) -> BuildReport:
    """Build the site of the registry at ``root`` into ``out`` (default ``root/_site``).

    ``incremental=False`` renders every page again. Raises ``BuildError`` (the previous
    site untouched) when a link is broken, the output folder is not a previous build, or
    a step fails.
    """
    started = time.perf_counter()
    root = check_root(root)
    out = Path(out).resolve() if out else root / "_site"
    _check_out(out, root)
    lock = _Lock(out)
    run = _Build(root, out, base_url=base_url.rstrip("/"), search=search,
                 incremental=incremental, history=history, dumps=dumps, jobs=jobs,
                 say=progress or (lambda _msg: None))
    try:
        run.run()
    except BaseException as exc:
        run.cleanup()
        if isinstance(exc, BuildError | KeyboardInterrupt):
            raise
        raise BuildError(f"网站生成失败，原网站未改动 / The build failed; the previous site is "
                         f"untouched: {type(exc).__name__}: {exc}") from exc
    finally:
        run.close()
        lock.release()
    run.report.seconds = round(time.perf_counter() - started, 3)
    return run.report


class _Build:
    """One build, step by step (see the module docstring for the order and why)."""

    def __init__(self, root: Path, out: Path, *, base_url: str, search: bool, incremental: bool,
                 history: bool, dumps: bool, jobs: int, say: Progress):
        self.root, self.out, self.base_url = root, out, base_url
        self.search, self.incremental, self.history, self.dumps = search, incremental, history, dumps
        self.jobs, self.say = jobs, say
        self.report = BuildReport(out=out)
        self.mark = time.perf_counter()
        self.staging: Path | None = None
        self.workers: _Workers | None = None

    def tick(self, name: str) -> None:
        now = time.perf_counter()
        self.report.timings[name] = round(now - self.mark, 3)
        self.mark = now

    # --- the steps ---------------------------------------------------------------------
    def run(self) -> None:
        global _SNAP
        root, out, say, report = self.root, self.out, self.say, self.report
        previous = _read_manifest(out)
        reusable = previous if self.incremental else {}
        self.staging = staging = _prepare_staging(out)
        # the dumps in a worker of their own: on a rebuild forked before this process holds
        # anything (see _dumps_job)
        self.workers = _Workers(self.jobs)
        old_dumps = reusable.get("dumps") or {}
        dumps_args = (str(root), str(staging / "data"), str(out / "data"), old_dumps)
        dumps_future = self.workers.submit(_dumps_job, *dumps_args) \
            if self.dumps and old_dumps else None
        say("读取记录 loading records")
        snap, summaries = load_summaries(root)
        record_files = sum(1 for f in snap.files.values()
                           if f.kind in ("power", "department", "law"))
        report.skipped_records = record_files - len(snap.powers) - len(snap.departments) - \
            len(snap.laws)
        labels_key = snap.labels_key()
        fingerprint = site_fingerprint()
        site = SiteContext(nav=tuple(nav_links()), base_url=self.base_url,
                           css=_asset_url("style.css"), search_js=_asset_url("search.js"))
        site_key = repr(site)
        state = {"labels": labels_key, "site": site_key, "history": self.history,
                 "search": self.search, "dumps": self.dumps}
        self.tick("load")

        _SNAP = snap  # for the workers forked from here on
        dumps_key = _dumps_key(snap)
        if self.dumps and dumps_future is None:
            dumps_future = self.workers.submit(_dumps_job, *dumps_args)
        search_keys = _search_keys(snap, labels_key) if self.search else {}
        self.tick("start")

        # the git history: the last build's, extended by the commits since, or read whole
        # in a forked worker
        data = SiteData(snap=snap, base_url=self.base_url, labels_key=labels_key)
        history_store = HistoryStore(root, _key(fingerprint, labels_key), enabled=self.history)
        head = _git_head(root) if self.history else None
        old_head = reusable.get("head")
        current = history_store.load(head) if head else None
        old_history = current if old_head == head else (
            history_store.load(old_head) if old_head else None)
        if head and current is not None:
            report.history_read = "saved"
        elif head:
            say("读取历史 reading git history")
            if old_history is not None:
                current = self.extend_history(old_head, old_history, Labels(snap))
                report.history_read = "extended"
            if current is None:
                current = self.workers.result(self.workers.submit(_history_job, str(root)))
                report.history_read = "whole"
            history_store.save(head, *current)
        if current is not None:
            data.histories, data.changes = current
        data.history_available = report.history = head is not None
        self.tick("history")

        scope = None
        if reusable.get("fingerprint") == fingerprint and reusable.get("state") == state and (
                head is None or old_history is not None):
            scope = _scope(snap, reusable.get("inputs") or {}, summaries, old_history,
                           (data.histories, data.changes))
        report.scoped = scope is not None
        say("整理页面 gathering pages")
        gatherer = Gatherer(data)
        pages = gatherer.record_pages(scope)
        pages += gatherer.history_pages(scope)
        if scope is None and self.search and \
                {p.url for p in pages if p.searchable} != set(search_keys):
            raise BuildError("内部错误：可搜索页面与搜索键不符 / internal error: searchable pages and "
                             "search keys differ")
        self.tick("gather")

        env = environment(root / CACHE_DIR / "templates")

        def page_output(page: Page) -> Output:
            return Output(page.output_path, _key(fingerprint, site_key, page.cache_key()),
                          lambda p=page: env.get_template(p.template).render(page=p, site=site)
                          .encode(), page=page)

        # every page but the two that describe the dumps: those wait for the worker
        late_paths = {"index.html", "data/index.html", "data/catalog.ttl", "data/catalog.jsonld"}
        if self.dumps:
            from registry.dumps import DUMP_FORMATS

            late_paths |= {f"data/{name}" for name, _, _ in DUMP_FORMATS.values()}
        # each record's Turtle and JSON-LD right after its page, so that the JSON-LD text
        # the page embeds is written out and dropped at once (memory at 40,000 records)
        beside: dict[str, list[Output]] = {}
        rest: list[Output] = []
        for o in _record_outputs(snap, pages, scope):
            (beside.setdefault(o.page_url, []) if o.page_url else rest).append(o)
        outputs = [o for p in pages for o in (page_output(p), *beside.pop(p.url, ()))]
        outputs += [o for group in beside.values() for o in group] + rest + _static_outputs()
        writer = _Writer(staging, reusable, tree=not out.exists())
        # what the families outside the scope made last time stays as it is
        carried = set() if scope is None else {
            path for path in (reusable.get("outputs") or {}) if not scope.covers(path)}
        for path in carried:
            writer.entries[path] = reusable["outputs"][path]
            if path.endswith((".html", ".atom")):
                report.pages += 1
        self.tick("keys")
        say("检查链接 checking links")
        known = {o.path for o in outputs} | carried | late_paths | {"sitemap.xml", "robots.txt"}
        problems = check_links(pages, known,
                               [("(site)", lk.href) for lk in site.nav] +
                               [("(site)", site.css), ("(site)", site.search_js)],
                               check=_pages_to_check(outputs, known, reusable), trusted=carried)
        if problems:
            raise BuildError(f"{len(problems)} 个内部链接无法解析 / {len(problems)} internal links do "
                             "not resolve", problems)
        self.tick("check")

        say("生成页面 rendering pages")
        self.render(outputs, writer)
        self.tick("render")

        # the search index first: the dumps worker has the while to finish
        search_state = None
        search_cache = RecordCache(root, "site-search", search_index.fingerprint(),
                                   enabled=self.search)
        postings = RecordCache(root, "site-search-postings", search_index.fingerprint(),
                               enabled=self.search, shards=RECORD_SHARDS)
        if self.search:
            say("更新搜索索引 updating the search index")
            search_state = self.update_search(pages, gatherer, search_keys, search_cache, postings,
                                              reusable, writer)
        self.tick("search")

        # the dumps and the pages that describe them
        late: list[Output] = []
        if self.dumps:
            from registry.dumps import Distribution

            say("生成整库下载 writing dumps")
            dist_dicts, made_from, report.timings["dumps worker"] = \
                self.workers.result(dumps_future)
            if made_from != dumps_key:
                raise BuildError("构建期间数据文件被修改，整库下载与页面不一致 / the data files changed "
                                 "during the build, so the dumps and the pages disagree. 修正 Fix: "
                                 "重新运行 powers build / run powers build again.")
            if dist_dicts is None:
                dist_dicts = old_dumps["distributions"]
            data.distributions = [Distribution(**d) for d in dist_dicts]
            late += [Output(f"data/{d.filename}", dumps_key, None) for d in data.distributions]
            modified = data.changes[0].date[:10] if data.changes else None
            dcat_outs, data.dcat_jsonld = _dcat_outputs(snap, data.distributions, self.base_url,
                                                         modified)
            late += dcat_outs
            report.dumps = True
        dataset_pages = gatherer.dataset_pages()
        late += [page_output(p) for p in dataset_pages]
        pages += dataset_pages
        late += _sitemap(known | {o.path for o in late}, self.base_url)
        problems = check_links(pages, {o.path for o in outputs + late} | carried,
                               check=dataset_pages, trusted=carried)
        if problems:
            raise BuildError(f"{len(problems)} 个内部链接无法解析 / {len(problems)} internal links do "
                             "not resolve", problems)
        self.render(late, writer)
        report.reused = report.pages - report.rendered
        self.tick("dumps")

        say("提交 committing")
        manifest = {"format": _FORMAT, "fingerprint": fingerprint, "state": state,
                    "head": head, "inputs": {p: f.blob for p, f in snap.files.items()},
                    "outputs": writer.entries,
                    "dumps": {"key": dumps_key, "distributions": [d.to_dict() for d in
                                                                  data.distributions]}
                    if self.dumps else {},
                    "search": {"token": search_state.token} if search_state else {}}
        report.written = len(writer.written)
        report.removed = _commit(staging, out, writer.written, previous, manifest)
        self.staging = None
        report.files = len(writer.entries)
        report.size = sum(e[1] for e in writer.entries.values())
        if report.search is not None:
            index = [e for p, e in writer.entries.items()
                     if p.startswith(search_index.FOLDER + "/")]
            report.search.files, report.search.size = len(index), sum(e[1] for e in index)
        summaries.retain({(f.path, f.blob) for f in snap.files.values()
                          if f.kind in ("power", "department", "law")})
        summaries.save()
        snap.save()
        if search_state is not None:
            postings.save()
            search_cache.clear()
            search_cache.put("index", str(out), search_state)
            search_cache.save()
        self.tick("commit")

    def extend_history(self, old_head: str, old: tuple[dict, list], labels: Labels
                       ) -> tuple[dict, list] | None:
        """The last build's histories and change log with the commits since put in front
        (None when they cannot be, see ``registry.history.changes_since``)."""
        from registry.history import changes_since

        newer = changes_since(self.root, old_head, CHANGES_SHOWN, labels=labels)
        if newer is None:
            return None
        return extend_histories(old[0], newer[0]), (newer[1] + old[1])[:CHANGES_SHOWN]

    def render(self, outputs: list[Output], writer: _Writer) -> None:
        """Write the outputs whose key changed."""
        report = self.report
        for o in outputs:
            unchanged = writer.unchanged(o)
            if o.page is not None:
                report.pages += 1
            if unchanged:
                continue
            writer.write(o, o.make() if o.make else None)
            if o.page is not None:
                report.rendered += 1
                o.page.release()  # what only its rendering needed (a display dict, say)

    def update_search(self, pages: list[Page], gatherer: Gatherer, keys: dict[str, str],
                      cache: RecordCache, postings: RecordCache, previous: dict, writer: _Writer
                      ) -> search_index.IndexState:
        """Patch the previous build's index (or index everything) and stage its files."""
        started = time.perf_counter()
        by_url = {p.url: p for p in pages if p.searchable}
        state = cache.get("index", str(self.out))
        if not isinstance(state, search_index.IndexState) or \
                (previous.get("search") or {}).get("token") != state.token:
            state = None  # another site, or the cache of a build that did not commit
        listed = previous.get("outputs", {})
        update = search_index.IndexUpdate(
            keys, lambda url: gatherer.search_doc(by_url.get(url) or gatherer.searchable_page(url)),
            state, postings,
            read=lambda rel: (self.out / rel).read_bytes(),
            listed=lambda path, key: (listed.get(path) or [None])[0] == key)
        state, files = update.run()

        def missing(path: str) -> bytes:
            raise BuildError(f"内部错误：搜索索引文件 {path} 不在上次的构建中 / internal error: the "
                             f"search index file {path} is not in the previous build. 修正 Fix: "
                             "powers build --full")

        made = []
        for f in files:
            if f.data is None and (listed.get(f.path) or [None])[0] == f.key:
                writer.entries[f.path] = listed[f.path]  # unchanged (most of the index)
            else:
                made.append(Output(f.path, f.key, (lambda d=f.data: d) if f.data is not None
                                   else (lambda p=f.path: missing(p))))
        self.render(made, writer)
        self.report.search = update.report
        update.report.seconds = round(time.perf_counter() - started, 3)
        return state

    def cleanup(self) -> None:
        """After a failure: stop the workers, remove the staging folder."""
        self.close()
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def close(self) -> None:
        global _SNAP
        _SNAP = None
        if self.workers is not None:
            self.workers.close()
            self.workers = None
