"""Versions on a real git repository: history, semantic diffs, past snapshots, `check`.

A small registry is committed in a temporary folder, then edited across dated commits the
way an officer would: a citation's article changes, a power moves to another department's
folder, one is abolished, and a file is only re-formatted (which must show no change).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry import history
from registry.basecheck import check
from registry.diff import FieldChange, PowerChange, SemanticDiff
from registry.gitstore import GitError, RevisionNotFound
from registry.namespaces import CODE, DEPT, PW, XSD
from registry.present import provision_text
from registry.records import read_record
from registry.source import SourceFile
from registry.turtle import parse, serialize

REPO = Path(__file__).resolve().parents[1]
DATES = ["2024-01-10", "2024-02-10", "2024-03-10", "2024-04-10", "2024-05-10"]


# --- helpers ------------------------------------------------------------------------------

def git(root: Path, *args: str, date: str | None = None) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="法制处 Officer", GIT_AUTHOR_EMAIL="o@example.org",
               GIT_COMMITTER_NAME="法制处 Officer", GIT_COMMITTER_EMAIL="o@example.org")
    if date:
        env.update(GIT_AUTHOR_DATE=f"{date}T10:00:00+08:00", GIT_COMMITTER_DATE=f"{date}T10:00:00+08:00")
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


def commit(root: Path, message: str, date: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, date=date)
    return git(root, "rev-parse", "HEAD")


def init_repo(root: Path, date: str = DATES[0]) -> str:
    (root / ".gitignore").write_text(".powers-cache/\n")
    git(root, "init", "-q", "-b", "main")
    return commit(root, "初始清单 / initial list", date)


def model(root: Path, path: Path):
    rel = path.relative_to(root).as_posix()
    return read_record(SourceFile.from_bytes(rel, path.read_bytes())).model


def rewrite(path: Path, change) -> None:
    """Apply ``change(triple) -> triple | None`` to every triple and write canonically."""
    out = [t2 for t in parse(path.read_bytes()) if (t2 := change(t)) is not None]
    path.write_text(serialize(out), encoding="utf-8")


def set_article(path: Path, article: int) -> None:
    done = []

    def change(t):
        if t.predicate.value == PW + "article" and not done:
            done.append(True)
            return ox.Triple(t.subject, t.predicate,
                             ox.Literal(str(article), datatype=ox.NamedNode(XSD + "integer")))
        return t
    rewrite(path, change)


def set_status(path: Path, status: str) -> None:
    triples = [t for t in parse(path.read_bytes())
               if t.predicate.value not in (PW + "statusDecision", PW + "statusDate")]
    subject = next(t.subject for t in triples if isinstance(t.subject, ox.NamedNode))
    out = [ox.Triple(t.subject, t.predicate, ox.NamedNode(CODE + "status/" + status))
           if t.predicate.value == PW + "status" else t for t in triples]
    if status != "in-force":
        out += [ox.Triple(subject, ox.NamedNode(PW + "statusDecision"),
                          ox.Literal("浙政发〔2024〕12号", language="zh")),
                ox.Triple(subject, ox.NamedNode(PW + "statusDate"),
                          ox.Literal("2024-04-01", datatype=ox.NamedNode(XSD + "date")))]
    path.write_text(serialize(out), encoding="utf-8")


def move(root: Path, path: Path, slug: str) -> Path:
    """Move a power to another department's folder (and name that department in it)."""
    target = root / "data" / "powers" / slug / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    rewrite(target, lambda t: ox.Triple(t.subject, t.predicate, ox.NamedNode(DEPT + slug))
            if t.predicate.value == PW + "department" else t)
    return target


def reformat_only(path: Path) -> None:
    """Write the same graph as N-Triples (valid Turtle): other layout, other blank-node ids."""
    triples = parse(path.read_bytes())
    lines = sorted(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    path.write_text("# 只改格式 / layout only\n" + "\n".join(reversed(lines)) + "\n",
                    encoding="utf-8")


def in_force_powers(root: Path) -> list[Path]:
    found = []
    for f in sorted((root / "data" / "powers").glob("*/*.ttl")):
        m = model(root, f)
        if m is not None and m.in_force and m.citations and m.citations[0].article:
            found.append(f)
    return found


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args, "--root", str(root)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


# --- a repository with a story -------------------------------------------------------------

class Story:
    root: Path
    commits: list[str]
    edited: str  # code whose citation changed, then was re-formatted
    old_article: int
    moved: str
    moved_from: str
    moved_to: str
    abolished: str


@pytest.fixture(scope="module")
def story(small_registry, tmp_path_factory) -> Story:
    s = Story()
    s.root = root = tmp_path_factory.mktemp("history") / "registry"
    shutil.copytree(small_registry, root, ignore=shutil.ignore_patterns(".powers-cache"))
    s.commits = [init_repo(root)]
    candidates = in_force_powers(root)
    edited, moved, abolished = candidates[0], candidates[1], candidates[2]
    s.edited, s.moved, s.abolished = edited.stem, moved.stem, abolished.stem
    s.old_article = model(root, edited).citations[0].article

    set_article(edited, s.old_article + 2)
    s.commits.append(commit(root, "依据修订更新条款 / article renumbered", DATES[1]))

    folders = sorted(p.name for p in (root / "data" / "powers").iterdir())
    s.moved_from = moved.parent.name
    s.moved_to = next(f for f in folders if f != s.moved_from)
    move(root, moved, s.moved_to)
    s.commits.append(commit(root, "划转 / moved to another department", DATES[2]))

    set_status(abolished, "abolished")
    s.commits.append(commit(root, "取消 / abolished", DATES[3]))

    reformat_only(edited)
    s.commits.append(commit(root, "仅格式 / layout only", DATES[4]))
    git(root, "tag", "v1", s.commits[0])
    return s


# --- history -------------------------------------------------------------------------------

def test_history_shows_the_citation_edit_and_a_formatting_only_commit(story):
    versions = history.record_history(story.root, story.edited)
    assert [v.change for v in versions] == ["formatting", "modified", "added"]
    assert [v.date[:10] for v in versions] == [DATES[4], DATES[1], DATES[0]]
    assert versions[0].fields == []
    (fc,) = versions[1].fields
    assert fc.field == "citations" and fc.label == "实施依据 / Legal basis"
    assert provision_text(story.old_article) in fc.before
    assert provision_text(story.old_article + 2) in fc.after
    assert fc.before.startswith("《") and "→" in fc.summary()
    assert versions[1].message == "依据修订更新条款 / article renumbered"
    assert versions[1].author == "法制处 Officer" and versions[1].commit == story.commits[1]
    assert versions[1].date.endswith("+08:00")


def test_history_follows_a_move_to_another_department_folder(story):
    versions = history.record_history(story.root, story.moved)
    assert [v.change for v in versions] == ["moved", "added"]
    moved = versions[0]
    assert moved.old_path == f"data/powers/{story.moved_from}/{story.moved}.ttl"
    assert moved.path == f"data/powers/{story.moved_to}/{story.moved}.ttl"
    assert [f.field for f in moved.fields] == ["department"]
    assert versions[1].path == moved.old_path
    # asking by either path gives the same history
    assert history.record_history(story.root, moved.old_path) == versions


def test_history_marks_abolition(story):
    versions = history.record_history(story.root, story.abolished)
    assert versions[0].change == "abolished" and versions[0].status == "abolished"
    fields = {f.field: f for f in versions[0].fields}
    assert fields["status"].before == "实施中" and fields["status"].after == "已取消"
    assert fields["status_decision"].after == "浙政发〔2024〕12号"


def test_all_histories_agrees_with_record_history_in_one_pass(story):
    every = history.all_histories(story.root)
    for code in (story.edited, story.moved, story.abolished):
        path = next(p for p in every if p.endswith(f"/{code}.ttl"))
        assert every[path] == history.record_history(story.root, code)
    assert f"data/powers/{story.moved_to}/{story.moved}.ttl" in every
    assert all(vs[-1].change == "added" for vs in every.values())


def test_history_of_unknown_code_is_empty_and_cli_says_so(story):
    assert history.record_history(story.root, "339999999000") == []
    done = run_cli(story.root, "history", "339999999000")
    assert done.returncode == 1 and "339999999000" in done.stderr


def test_history_cli_text_and_json(story):
    done = run_cli(story.root, "history", story.edited)
    assert done.returncode == 0, done.stderr
    assert "仅格式 formatting only" in done.stdout and "实施依据 / Legal basis" in done.stdout
    data = json.loads(run_cli(story.root, "history", story.moved, "--json").stdout)
    assert data[0]["change"] == "moved" and data[0]["fields"][0]["field"] == "department"


def test_recent_changes_lists_commits_newest_first(story):
    changes = history.recent_changes(story.root, limit=10)
    assert [c.commit for c in changes] == story.commits[::-1]
    assert [(i.code, i.change) for i in changes[0].items] == [(story.edited, "formatting")]
    assert [(i.code, i.change) for i in changes[1].items] == [(story.abolished, "abolished")]
    assert changes[2].items[0].department == story.moved_to
    since = history.recent_changes(story.root, since=story.commits[2])
    assert [c.commit for c in since] == story.commits[:2:-1]
    assert [c.commit for c in history.recent_changes(story.root, since=DATES[3])] == \
        story.commits[:2:-1]


def _whole(root: Path, limit: int = 3):
    """What a build reads when it reads all of git's history (packed as the site keeps it)."""
    from site_builder.pages import pack_histories

    return pack_histories(history.all_histories(root)), history.recent_changes(root, limit)


def _extended(root: Path, since: str, old, limit: int = 3):
    from site_builder.pages import extend_histories

    newer = history.changes_since(root, since, limit)
    assert newer is not None
    return extend_histories(old[0], newer[0]), (newer[1] + old[1])[:limit]


def test_history_extended_by_the_commits_since_is_the_history_read_whole(registry_copy):
    """A rebuild extends the last build's history with the commits since: an edit, a move
    to another folder, an abolition, a removal, a removed record added back in another
    folder, a new record, two commits at once: the same versions and change log, byte for
    byte, as reading everything again."""
    root = registry_copy
    init_repo(root)
    state, since = _whole(root), git(root, "rev-parse", "HEAD")
    edited, moved, abolished, removed = in_force_powers(root)[:4]

    def step(*changes, date: str) -> None:
        nonlocal state, since
        for change in changes:
            change()
        commit(root, "修改 / change", date)
        state, since = _extended(root, since, state), git(root, "rev-parse", "HEAD")
        assert state == _whole(root)

    step(lambda: set_article(edited, 9), date=DATES[1])
    folders = sorted(p.name for p in (root / "data" / "powers").iterdir())
    other = next(f for f in folders if f != moved.parent.name)
    step(lambda: move(root, moved, other), date=DATES[2])
    kept = removed.read_bytes()
    step(lambda: set_status(abolished, "abolished"), removed.unlink, date=DATES[3])
    back = root / "data" / "powers" / other / removed.name

    def add_back() -> None:
        back.write_bytes(kept)

    step(add_back, date=DATES[4])
    # two commits, one build
    set_article(edited, 11)
    commit(root, "再改 / again", "2024-06-10")
    shutil.copy(back, back.with_name("330299999000.ttl"))
    rewrite(back.with_name("330299999000.ttl"), lambda t: t)
    step(date="2024-07-10")
    assert any(p.endswith("/330299999000.ttl") for p in state[0])


def test_history_is_read_whole_after_a_merge_a_rewrite_or_a_renumbering(registry_copy):
    root = registry_copy
    base = init_repo(root)
    edited, other = in_force_powers(root)[:2]
    git(root, "checkout", "-q", "-b", "side")
    set_article(other, 7)
    commit(root, "分支 / on a branch", DATES[1])
    git(root, "checkout", "-q", "main")
    set_article(edited, 8)
    commit(root, "主干 / on main", DATES[2])
    assert history.changes_since(root, base) is not None
    git(root, "merge", "-q", "--no-edit", "side", date=DATES[3])
    assert history.changes_since(root, base) is None  # a merge: log order is not a line
    merged = git(root, "rev-parse", "HEAD")
    git(root, "reset", "-q", "--hard", "HEAD~1")
    assert history.changes_since(root, merged) is None  # HEAD no longer continues it
    assert history.changes_since(root, "0" * 40) is None  # an unknown commit
    here = git(root, "rev-parse", "HEAD")
    git(root, "mv", str(edited), str(edited.with_name("330299999001.ttl")))
    commit(root, "改编码 / renumbered", DATES[4])
    assert history.changes_since(root, here) is None  # a rename to another code


def test_not_a_git_repository(small_registry, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(small_registry, plain, ignore=shutil.ignore_patterns(".powers-cache"))
    assert history.all_histories(plain) == {}
    assert history.recent_changes(plain) == []
    with pytest.raises(GitError):
        history.record_history(plain, "330218001000")
    done = run_cli(plain, "history", "330218001000")
    assert done.returncode == 2 and "git" in done.stderr and "Traceback" not in done.stderr


# --- revisions and past snapshots -----------------------------------------------------------

def test_resolve_revision_by_commit_tag_branch_relative_and_date(story):
    root, commits = story.root, story.commits
    assert history.resolve_revision(root, commits[1][:10]) == commits[1]
    assert history.resolve_revision(root, "v1") == commits[0]
    assert history.resolve_revision(root, "main") == commits[-1]
    assert history.resolve_revision(root, "HEAD~3") == commits[1]
    assert history.resolve_revision(root, "2024-02-10") == commits[1]  # that day counts
    assert history.resolve_revision(root, "2024-03-01") == commits[1]
    with pytest.raises(RevisionNotFound, match="2023-12-31"):
        history.resolve_revision(root, "2023-12-31")
    for bad in ("no-such-branch", "--all", "HEAD;rm", ""):
        with pytest.raises(RevisionNotFound, match="Unknown revision"):
            history.resolve_revision(root, bad)


def test_snapshot_at_a_commit_and_a_date_reads_git_not_the_working_tree(story):
    old = history.snapshot_at(story.root, DATES[0])
    assert old.revision == story.commits[0]
    assert old.powers[story.edited].citations[0].article == story.old_article
    assert old.powers[story.moved].department == story.moved_from
    assert old.powers[story.abolished].in_force
    now = history.snapshot_at(story.root, "HEAD")
    assert now.powers[story.edited].citations[0].article == story.old_article + 2
    assert not now.powers[story.abolished].in_force
    assert len(old.powers) == len(now.powers)


def test_snapshot_at_second_read_comes_from_the_cache(story):
    history._memory.clear()
    for f in (story.root / ".powers-cache").glob("snapshot-*"):
        f.unlink()
    first = history.snapshot_at(story.root, story.commits[2])
    assert list((story.root / ".powers-cache").glob("snapshot-*.pickle"))
    history._memory.clear()  # a new process: the disk cache serves it
    started = time.perf_counter()
    second = history.snapshot_at(story.root, story.commits[2])
    assert time.perf_counter() - started < 1.0
    assert second.powers == first.powers and second.revision == story.commits[2]


def test_show_at_by_commit_and_by_date(story):
    done = run_cli(story.root, "show", story.edited, "--at", "2024-01-20", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["citations"][0]["article"] == story.old_article
    done = run_cli(story.root, "show", story.edited, "--at", story.commits[1][:8], "--format", "json")
    assert json.loads(done.stdout)["citations"][0]["article"] == story.old_article + 2
    done = run_cli(story.root, "show", story.edited, "--at", "nonsense")
    assert done.returncode == 2 and "Unknown revision" in done.stderr


# --- semantic diff --------------------------------------------------------------------------

def test_formatting_only_commit_is_no_semantic_change(story):
    d = history.revision_diff(story.root, story.commits[3], story.commits[4])
    assert d.is_empty()
    assert "没有语义变更" in d.to_markdown()
    assert run_cli(story.root, "diff", "HEAD~1", "HEAD", "--json").returncode == 0


def test_diff_across_the_story(story):
    d = history.revision_diff(story.root, "v1", "HEAD")
    assert [p.code for p in d.abolished] == [story.abolished]
    changed = {p.code: p for p in d.changed}
    assert set(changed) == {story.edited, story.moved}
    assert changed[story.moved].old_path.startswith(f"data/powers/{story.moved_from}/")
    assert [f.field for f in changed[story.edited].fields] == ["citations"]
    assert d.added == [] and d.removed == []
    # the same result from two full snapshots
    full = history.semantic_diff(history.snapshot_at(story.root, "v1"),
                                 history.snapshot_at(story.root, "HEAD"))
    assert full.to_dict()["counts"] == d.to_dict()["counts"]


def test_diff_markdown_has_a_table_per_department_and_a_card_per_power(story):
    done = run_cli(story.root, "diff", "v1", "HEAD", "--markdown")
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert "| 部门 Department |" in md
    for code in (story.edited, story.moved, story.abolished):
        assert f"### {code} " in md
    assert "实施依据 / Legal basis" in md and "取消 abolished" in md
    data = json.loads(run_cli(story.root, "diff", "v1", "--json").stdout)
    assert data["counts"]["changed"] == 2 and data["head"] is None


def test_markdown_is_cut_under_the_limit_with_a_pointer():
    d = SemanticDiff(base="a" * 40, head="b" * 40)
    for i in range(3000):
        d.changed.append(PowerChange(
            code=f"3302180{i:05d}", title="对未取得道路运输经营许可擅自从事道路运输经营的处罚" * 2,
            department=f"dept{i % 40}", department_name="浙江省交通运输厅", change="changed",
            fields=[FieldChange("citations", "实施依据 / Legal basis", "《道路运输条例》第二十四条",
                                "《道路运输条例》第二十六条|<script>")]))
    md = d.to_markdown()
    assert len(md) <= 60_000
    assert "more changes are not shown" in md and "powers diff --markdown" in md
    assert "<script>" not in md and "\\|&lt;script&gt;" in md
    small = d.to_markdown(limit=5_000, full_report="https://ci.example.org/run/1")
    assert len(small) <= 5_000 and "https://ci.example.org/run/1" in small
    assert len(d.to_markdown(limit=10**9)) > 60_000


# --- powers check --base ----------------------------------------------------------------------

@pytest.fixture
def repo(registry_copy) -> Path:
    init_repo(registry_copy)
    return registry_copy


def test_check_validates_only_the_changed_record_and_prints_the_diff(repo):
    assert check(repo, "HEAD").ok  # warms the cache
    target = in_force_powers(repo)[0]
    article = model(repo, target).citations[0].article
    set_article(target, article + 1)
    result = check(repo, "HEAD")
    assert result.ok, [d.message for d in result.errors]
    assert result.changed == {target.relative_to(repo).as_posix(): "M"}
    assert result.report.checked == 1  # the other records come from the cache
    assert [p.code for p in result.diff.changed] == [target.stem]
    done = run_cli(repo, "check", "--base", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "修改 changed" in done.stdout and provision_text(article + 1) in done.stdout


def test_check_refuses_a_deleted_power(repo):
    target = in_force_powers(repo)[0]
    target.unlink()
    result = check(repo, "HEAD")
    assert not result.ok
    (d,) = [d for d in result.errors if d.rule == "record-deleted"]
    assert d.path == target.relative_to(repo).as_posix() and "tombstone" in d.message
    assert [p.code for p in result.diff.removed] == [target.stem]
    done = run_cli(repo, "check", "--base", "HEAD", "--format", "github")
    assert done.returncode == 1
    assert f"::error file={d.path}" in done.stdout


def test_check_refuses_a_revived_abolished_code(repo):
    target = in_force_powers(repo)[0]
    set_status(target, "abolished")
    commit(repo, "取消 / abolish", DATES[1])
    set_status(target, "in-force")
    result = check(repo, "HEAD")
    (d,) = [d for d in result.errors if d.rule == "code-revived"]
    assert d.path == target.relative_to(repo).as_posix() and d.line
    data = json.loads(run_cli(repo, "check", "--base", "HEAD", "--format", "json").stdout)
    assert not data["ok"] and any(x["rule"] == "code-revived" for x in data["diagnostics"])


def test_check_refuses_an_abolished_code_deleted_then_registered_again(repo):
    target = in_force_powers(repo)[0]
    set_status(target, "abolished")
    commit(repo, "取消 / abolish", DATES[1])
    saved = target.read_bytes()
    target.unlink()
    commit(repo, "误删 / deleted", DATES[2])
    target.write_bytes(saved)
    set_status(target, "in-force")
    rules = {d.rule for d in check(repo, "HEAD").errors}
    assert "code-revived" in rules


def test_check_sees_untracked_files_and_moves_are_not_deletions(repo):
    target = in_force_powers(repo)[0]
    other = next(p.name for p in (repo / "data" / "powers").iterdir() if p.name != target.parent.name)
    moved = move(repo, target, other)
    result = check(repo, "HEAD")
    rel_new = moved.relative_to(repo).as_posix()
    assert result.changed[rel_new] == "A"  # untracked, still counted
    assert "record-deleted" not in {d.rule for d in result.errors}
    assert [p.code for p in result.diff.changed] == [target.stem]


def test_check_against_an_unknown_base_exits_2(repo):
    done = run_cli(repo, "check", "--base", "no-such-branch")
    assert done.returncode == 2 and "Unknown revision" in done.stderr


# --- CODEOWNERS -----------------------------------------------------------------------------

def test_codeowners_per_department_folder(registry_copy):
    done = run_cli(registry_copy, "codeowners")
    assert done.returncode == 0, done.stderr
    slugs = sorted(p.name for p in (registry_copy / "data" / "powers").iterdir())
    for slug in slugs:
        assert f"/data/powers/{slug}/ @zj-powers/{slug}-legal" in done.stdout
    (registry_copy / "owners.toml").write_text(
        f'org = "acme"\nmaintainers = ["@acme/core"]\n[departments]\n{slugs[0]} = ["@alice"]\n')
    done = run_cli(registry_copy, "codeowners", "--write")
    text = (registry_copy / ".github" / "CODEOWNERS").read_text()
    assert f"/data/powers/{slugs[0]}/ @alice\n" in text
    assert f"/data/powers/{slugs[1]}/ @acme/{slugs[1]}-legal\n" in text
    assert text.splitlines()[5] == "* @acme/core"
    (registry_copy / "owners.toml").write_text('maintainers = ["not a handle"]\n')
    done = run_cli(registry_copy, "codeowners")
    assert done.returncode == 2 and "not a handle" in done.stderr


def test_graph_diff_sees_statements_the_model_does_not_hold(registry_copy):
    from registry.diff import graph_changes

    target = in_force_powers(registry_copy)[0]
    data = target.read_bytes()
    subject = next(t.subject for t in parse(data) if isinstance(t.subject, ox.NamedNode))
    extra = ox.Triple(subject, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                      ox.Literal("备注", language="zh"))
    changed = serialize([*parse(data), extra]).encode()
    (fc,) = graph_changes(data, changed)
    assert fc.field == "other" and "备注" in fc.after and fc.before == ""
    reformat_only(target)
    assert graph_changes(data, target.read_bytes()) == []


def test_a_law_change_is_reported_with_law_labels(repo):
    law = sorted((repo / "data" / "laws").glob("*.ttl"))[0]
    rewrite(law, lambda t: ox.Triple(t.subject, t.predicate,
                                     ox.NamedNode(CODE + "law-status/repealed"))
            if t.predicate.value == PW + "lawStatus" else t)
    d = history.revision_diff(repo, "HEAD")
    (change,) = d.laws
    assert change.key == law.stem and change.change == "changed"
    (fc,) = change.fields
    assert fc.label == "法规状态 / Status" and fc.after == "已废止"
