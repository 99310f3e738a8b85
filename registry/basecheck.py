"""`powers check --base REV`: what a pull request's CI runs.

1. The files changed since the base (committed, uncommitted and untracked) come from
   ``git diff --name-status`` against the base commit: milliseconds.
2. Only those files go through the per-file layers (syntax, record rules, SHACL); every
   other record is read from the content-keyed cache for the cross-record rules, which
   always run over the whole registry. A change to the shapes re-validates everything.
3. Rules against the base: a power present at the base is never deleted (it is abolished
   and kept as a tombstone), and an abolished or merged code never comes back in force.
4. The semantic diff of the change, parsed from the changed files only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .diagnostics import Diagnostic, DiagnosticSummary, error, sort_key, warning
from .diff import SemanticDiff, semantic_diff
from .gitstore import Repo
from .history import lineages_of, partial_snapshots, record_identity
from .model import Power
from .records import find_line, read_record
from .source import POWERS_DIR, SHAPES_DIR, SourceFile, check_root
from .validate import Report, validate

#: Statuses a code never returns from.
FINAL_STATUSES = ("abolished", "merged")


@dataclass
class CheckResult(DiagnosticSummary):
    """The outcome of ``check``: validation, rules against the base, and the diff."""

    base: str  # commit id
    changed: dict[str, str]  # root-relative path → A | M | D
    report: Report
    base_diagnostics: list[Diagnostic] = field(default_factory=list)
    diff: SemanticDiff | None = None
    full: bool = False  # True when every record was re-validated (shapes changed)
    seconds: float = 0.0

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every error, and the warnings of the changed files (a pull request is not the
        place for warnings about records it does not touch; `validate` lists them all)."""
        return sorted((d for d in self.report.diagnostics + self.base_diagnostics
                       if d.is_error or d.path in self.changed), key=sort_key)

    @property
    def hidden_warnings(self) -> int:
        """Warnings about unchanged records, left out of ``diagnostics``."""
        return sum(1 for d in self.report.diagnostics
                   if not d.is_error and d.path not in self.changed)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "base": self.base,
            "changed": dict(sorted(self.changed.items())),
            "revalidated": self.report.checked,
            "full": self.full,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "warnings_elsewhere": self.hidden_warnings,
            "seconds": round(self.seconds, 3),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "diff": self.diff.to_dict() if self.diff else None,
        }


def check(root: Path, base: str, *, use_cache: bool = True, jobs: int | None = None,
          with_diff: bool = True) -> CheckResult:
    """Validate what changed since ``base`` plus every cross-record rule, apply the rules
    against the base, and compute the semantic diff. Raises ``GitError`` /
    ``RevisionNotFound`` when the base cannot be read."""
    started = time.perf_counter()
    root = check_root(root)
    repo = Repo(root)
    commit = repo.resolve(base)
    changed = repo.changed_since(commit)
    full = bool(repo.changed_since(commit, SHAPES_DIR))
    present = {p for p, s in changed.items() if s != "D"}
    report = validate(root, only=None if full else present, use_cache=use_cache, jobs=jobs)
    snap_a, snap_b = partial_snapshots(root, repo, commit, None, changed)
    result = CheckResult(base=commit, changed=changed, report=report, full=full)
    result.base_diagnostics = base_rules(repo, commit, changed, snap_a.powers, snap_b)
    if with_diff:
        result.diff = semantic_diff(snap_a, snap_b)
    result.seconds = time.perf_counter() - started
    return result


def base_rules(repo: Repo, base: str, changed: dict[str, str], before: dict[str, Power],
               after) -> list[Diagnostic]:
    """Deleted powers and codes that come back in force, judged against the base."""
    found: list[Diagnostic] = []
    now_paths = {PurePosixPath(p).stem: p for p in after.files if p.startswith(POWERS_DIR + "/")}
    for path, status in sorted(changed.items()):
        if status != "D" or not path.startswith(POWERS_DIR + "/"):
            continue
        code = PurePosixPath(path).stem
        if code in now_paths:
            continue  # moved to another folder
        old = before.get(code)
        title = f"（{old.title}）" if old else ""
        found.append(error(
            "record-deleted", path,
            f"已登记的权力 {code}{title} 被删除。权力事项不得删除：请恢复文件，把 pw:status 改为 "
            f"status:abolished 并写明 pw:statusDecision（决定文件）和 pw:statusDate（日期），保留为"
            f"墓碑记录。/ Power {code} was deleted. Registered powers are never deleted: restore "
            "the file and set pw:status status:abolished with pw:statusDecision and pw:statusDate, "
            "so it stays as a tombstone. 修正 Fix: git checkout <base> -- " + path,
            field="状态 / status", value=code))
    for code, p in sorted(after.powers.items()):
        if not p.in_force:
            continue
        old = before.get(code)
        if old is not None and old.status in FINAL_STATUSES:
            found.append(_revived(after, p, old.status, base[:8]))
    found += _reused_codes(repo, base, changed, before, after)
    return found


def _revived(after, p: Power, status: str, where: str) -> Diagnostic:
    src = after.files.get(p.path)
    text = src.data.decode("utf-8", errors="replace") if src else ""
    zh = {"abolished": "已取消", "merged": "已合并"}.get(status, status)
    return error(
        "code-revived", p.path,
        f"编码 {p.code} 在 {where} 中为{zh}（{status}），不得恢复为实施中。/ Code {p.code} was "
        f"{status} at {where} and must not return to in force. 修正 Fix: 新设事项请用 `powers new` "
        "取得新编码 / register a new power under a new code (`powers new`).",
        line=find_line(text, "pw:status"), field="状态 / status", value=p.code)


def _reused_codes(repo: Repo, base: str, changed: dict[str, str], before: dict[str, Power],
                  after) -> list[Diagnostic]:
    """Added power files whose code existed in the base's history and was deleted there."""
    added = [p for p, s in changed.items()
             if s == "A" and p.startswith(POWERS_DIR + "/") and PurePosixPath(p).stem not in before]
    if not added:
        return []
    specs = sorted({f"{POWERS_DIR}/*/{PurePosixPath(p).name}" for p in added})
    commits = repo.log(*specs, rev=base)
    lineages = lineages_of(commits)
    out = []
    for path in added:
        steps = lineages.get(record_identity(path))
        if not steps:
            continue
        last_blob = next((s.old_blob for s in steps if s.new_blob is None and s.old_blob), None)
        old_path = next((s.old_path for s in steps if s.new_blob is None and s.old_path), path)
        status = ""
        if last_blob:
            data = repo.read_blobs([last_blob]).get(last_blob, b"")
            model = read_record(SourceFile(old_path, data, last_blob)).model
            status = model.status if isinstance(model, Power) else ""
        p = after.powers.get(PurePosixPath(path).stem)
        if status in FINAL_STATUSES and p is not None and p.in_force:
            out.append(_revived(after, p, status, "历史 history"))
        else:
            out.append(warning(
                "code-reused", path,
                f"编码 {PurePosixPath(path).stem} 曾经登记并被删除，现在重新使用。/ Code "
                f"{PurePosixPath(path).stem} was registered before and deleted; it is used again. "
                "修正 Fix: 确认这是同一事项，否则用 `powers new` 取得新编码 / make sure it is the "
                "same power, otherwise take a new code with `powers new`.",
                field="基本编码 / code"))
    return out
