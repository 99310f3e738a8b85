"""Reading a registry's git object store with git's own plumbing, never a checkout.

Git is the registry's version store. Everything here runs the ``git`` command line
(plumbing such as ``ls-tree``, ``cat-file --batch``, ``log --raw``): it is an order of
magnitude faster than walking objects through GitPython, and reads any revision without
touching the working tree. Paths in and out are relative to the *registry root*, which
may sit below the repository's top folder.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .source import DATA_DIR, SourceFile

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SAFE_REV = re.compile(r"^[A-Za-z0-9_./~^@{}:+\-]+$")
#: How git marks a commit header in our log format (ASCII record separator).
_COMMIT_MARK = "\x1e"
_LOG_FORMAT = "%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s"
_NULL_BLOB = "0" * 40
#: Characters of a commit id shown to people.
SHORT = 8


class GitError(RuntimeError):
    """git failed, or the registry is not in a git repository (bilingual message)."""


class RevisionNotFound(GitError):
    """A revision or date names no commit (bilingual message)."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C")
    env["GIT_OPTIONAL_LOCKS"] = "0"  # reading must never take the index lock
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


@dataclass(frozen=True)
class RawChange:
    """One file change of a commit, from ``git log --raw``: blob ids before and after."""

    status: str  # A, M, D, R (rename/move), T (type change)
    path: str  # root-relative path after the change (before, for D)
    old_path: str | None  # for R: the path before
    old_blob: str | None  # None when added
    new_blob: str | None  # None when deleted


@dataclass
class LogCommit:
    """A commit as the log shows it, with its file changes under ``data/``."""

    commit: str
    short: str
    author: str
    email: str
    date: str  # ISO 8601 with offset (author date)
    message: str
    changes: list[RawChange]


class Repo:
    """The git repository holding a registry root, read through plumbing commands."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        try:
            out = self.run("rev-parse", "--show-toplevel", "--show-prefix").decode()
        except GitError as exc:
            raise GitError(
                f"{self.root} 不在 git 仓库中，无法读取历史版本。/ {self.root} is not in a git "
                "repository, so its versions cannot be read. 修正 Fix: 在登记库的 git 仓库中运行 / "
                f"run inside the registry's git repository (git clone …). [{exc}]") from exc
        lines = out.split("\n")
        self.top = Path(lines[0])
        self.prefix = lines[1] if len(lines) > 1 else ""  # "" or "sub/dir/"

    # --- running git ------------------------------------------------------------------
    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
        """Run ``git -C root args`` and return its stdout (raises ``GitError``)."""
        try:
            done = subprocess.run(["git", "-C", str(self.root), *args], input=input,
                                  capture_output=True, env=_env(), check=False)
        except FileNotFoundError as exc:
            raise GitError("找不到 git 命令。/ The git command was not found. 修正 Fix: 安装 git "
                           "/ install git.") from exc
        if check and done.returncode != 0:
            msg = done.stderr.decode("utf-8", errors="replace").strip()
            raise GitError(f"git {args[0]} 失败 / failed: {msg}")
        return done.stdout

    def rel(self, top_path: str) -> str | None:
        """A repository-relative path as a root-relative one (None when outside the root)."""
        if not self.prefix:
            return top_path
        return top_path[len(self.prefix):] if top_path.startswith(self.prefix) else None

    # --- revisions ----------------------------------------------------------------------
    def resolve(self, rev: str) -> str:
        """The full commit id of a commit id, tag, branch, ``HEAD~3`` or a date YYYY-MM-DD."""
        rev = (rev or "").strip()
        if _DATE.match(rev):
            out = self.run("rev-list", "-1", "--first-parent", f"--before={rev} 23:59:59",
                           "HEAD", check=False).decode().strip()
            if out:
                return out
            raise RevisionNotFound(
                f"{rev} 当天及之前没有提交。/ No commit on or before {rev}. 修正 Fix: 用更晚的日期，"
                "或用 `git log` 查看提交 / use a later date, or list commits with `git log`.")
        if not rev or rev.startswith("-") or not _SAFE_REV.match(rev):
            raise RevisionNotFound(self._unknown(rev))
        out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options",
                       f"{rev}^{{commit}}", check=False).decode().strip()
        if not out:
            raise RevisionNotFound(self._unknown(rev))
        return out

    @staticmethod
    def _unknown(rev: str) -> str:
        return (f"找不到版本 “{rev}”。/ Unknown revision '{rev}'. 修正 Fix: 使用提交号、标签、分支、"
                "HEAD~3 之类的写法或日期 YYYY-MM-DD / use a commit id, tag, branch, a form such as "
                "HEAD~3, or a date YYYY-MM-DD.")

    def tree_of(self, commit: str, path: str = DATA_DIR) -> str:
        """The tree id of ``path`` (root-relative) at ``commit`` ('' when it does not exist)."""
        spec = f"{commit}:{self.prefix}{path}"
        return self.run("rev-parse", "--verify", "--quiet", spec, check=False).decode().strip()

    def head(self) -> str | None:
        out = self.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        return out.decode().strip() or None

    # --- trees and blobs ------------------------------------------------------------------
    def ls_tree(self, commit: str, *paths: str) -> dict[str, str]:
        """Root-relative path → blob id of every file below ``paths`` at ``commit``."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", commit, "--",
                       *(self.prefix + p for p in paths or (DATA_DIR,)))
        found: dict[str, str] = {}
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, _, name = entry.partition(b"\t")
            mode, kind, oid = meta.decode().split(" ")
            if kind != "blob":
                continue
            rel = self.rel(name.decode("utf-8", errors="surrogateescape"))
            if rel is not None:
                found[rel] = oid
        return found

    def read_blobs(self, oids: list[str]) -> dict[str, bytes]:
        """The contents of many blobs in one ``git cat-file --batch`` call."""
        wanted = list(dict.fromkeys(o for o in oids if o and o != _NULL_BLOB))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", input=("\n".join(wanted) + "\n").encode())
        blobs: dict[str, bytes] = {}
        pos = 0
        for oid in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode()
            pos = end + 1
            parts = header.split(" ")
            if len(parts) < 3 or parts[1] == "missing":
                continue
            size = int(parts[2])
            blobs[oid] = out[pos:pos + size]
            pos += size + 1
        return blobs

    def files_at(self, commit: str, *paths: str) -> list[SourceFile]:
        """Every file below ``paths`` (default ``data/``) at ``commit`` as ``SourceFile``."""
        listing = self.ls_tree(commit, *paths)
        blobs = self.read_blobs(list(listing.values()))
        return [SourceFile(path=p, data=blobs.get(oid, b""), blob=oid)
                for p, oid in sorted(listing.items()) if p.endswith(".ttl")]

    # --- history --------------------------------------------------------------------------
    def log(self, *pathspecs: str, rev: str = "HEAD", limit: int | None = None,
            follow_renames: bool = True) -> list[LogCommit]:
        """Commits reachable from ``rev`` touching ``pathspecs``, newest first, with blob ids."""
        if self.head() is None:
            return []
        args = ["log", "--raw", "--no-abbrev", "-z", "--no-color", f"--format={_LOG_FORMAT}",
                "-M" if follow_renames else "--no-renames", "-l0"]
        if limit:
            args.append(f"-n{limit}")
        args += [rev, "--", *(self.prefix + p for p in pathspecs or (DATA_DIR,))]
        return self._parse_log(self.run(*args).decode("utf-8", errors="surrogateescape"))

    def _parse_log(self, text: str) -> list[LogCommit]:
        commits: list[LogCommit] = []
        for chunk in text.split(_COMMIT_MARK):
            if not chunk.strip("\0\n"):
                continue
            header, _, body = chunk.partition("\0")  # -z ends the header with NUL
            fields = header.split("\x1f")
            if len(fields) < 5:
                continue
            commit = LogCommit(commit=fields[0], short=fields[0][:SHORT], author=fields[1],
                               email=fields[2], date=fields[3], message=fields[4], changes=[])
            commit.changes = self._parse_raw(body)
            commits.append(commit)
        return commits

    def _parse_raw(self, body: str) -> list[RawChange]:
        # -z raw format: ":old_mode new_mode old new STATUS\0path\0[path2\0]"
        tokens = body.strip("\n").split("\0")
        changes: list[RawChange] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i].lstrip("\n")
            if not tok.startswith(":"):
                i += 1
                continue
            meta = tok[1:].split(" ")
            old, new, status = meta[2], meta[3], meta[4]
            kind = status[0]
            if kind in "RC":
                src, dst = tokens[i + 1], tokens[i + 2]
                i += 3
            else:
                src, dst = tokens[i + 1], tokens[i + 1]
                i += 2
            dst_rel, src_rel = self.rel(dst), self.rel(src)
            if dst_rel is None:
                continue
            if kind == "C":  # a copy is an addition
                changes.append(RawChange("A", dst_rel, None, None, new))
                continue
            changes.append(RawChange(
                status=kind, path=dst_rel,
                old_path=src_rel if kind == "R" else None,
                old_blob=None if old == _NULL_BLOB else old,
                new_blob=None if new == _NULL_BLOB else new))
        return changes

    # --- the working tree against a commit ---------------------------------------------
    def changed_since(self, commit: str, *paths: str) -> dict[str, str]:
        """Root-relative path → A/M/D for files below ``paths`` that differ between ``commit``
        and the working tree, counting uncommitted and untracked files."""
        spec = [self.prefix + p for p in paths or (DATA_DIR,)]
        changed: dict[str, str] = {}
        out = self.run("diff", "--name-status", "--no-renames", "-z", commit, "--", *spec)
        tokens = out.decode("utf-8", errors="surrogateescape").split("\0")
        for status, path in zip(tokens[0::2], tokens[1::2], strict=False):
            rel = self.rel(path)
            if rel is not None and status:
                changed[rel] = status[0]
        out = self.run("ls-files", "--others", "--exclude-standard", "-z", "--full-name",
                       "--", *spec)
        for path in out.decode("utf-8", errors="surrogateescape").split("\0"):
            rel = self.rel(path) if path else None
            if rel is not None:
                changed[rel] = "A"
        return changed

    def continues(self, old: str, new: str) -> bool:
        """Whether ``new`` is ``old`` followed by a line of commits of one parent each (no
        merge, no rewrite): then ``log old..new`` is exactly what came after ``old``, in order."""
        out = self.run("rev-list", "--parents", f"{old}..{new}", check=False).decode().split("\n")
        parent: dict[str, str] = {}
        for line in filter(None, out):
            ids = line.split()
            if len(ids) != 2:
                return False  # a merge (or a root commit)
            parent[ids[0]] = ids[1]
        at, steps = self.resolve(new), 0
        while at in parent:
            at, steps = parent[at], steps + 1
        return steps == len(parent) and at == self.resolve(old)

    def changed_between(self, a: str, b: str, *paths: str) -> dict[str, str]:
        """Root-relative path → A/M/D for files below ``paths`` that differ from ``a`` to ``b``."""
        spec = [self.prefix + p for p in paths or (DATA_DIR,)]
        out = self.run("diff", "--name-status", "--no-renames", "-z", a, b, "--", *spec)
        tokens = out.decode("utf-8", errors="surrogateescape").split("\0")
        changed: dict[str, str] = {}
        for status, path in zip(tokens[0::2], tokens[1::2], strict=False):
            rel = self.rel(path)
            if rel is not None and status:
                changed[rel] = status[0]
        return changed


def is_date(text: str) -> bool:
    """``YYYY-MM-DD``."""
    return bool(_DATE.match(text or ""))
