"""`powers new`: next free code, complete skeleton, TODO warnings only."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from officer_util import run

from registry.newrecord import next_code
from registry.snapshot import load_snapshot
from registry.validate import validate


def _dept(root, slug="jiaotong"):
    snap = load_snapshot(root, use_cache=False)
    return snap, snap.departments[slug]


def _validate_only_todos(root, rel):
    report = validate(root, use_cache=False)
    mine = [d for d in report.diagnostics if d.path == rel]
    assert report.ok, [d.message for d in report.errors][:3]
    assert mine and {d.rule for d in mine} <= {"todo"}, {d.rule for d in mine}
    return mine


@pytest.mark.parametrize("dept_arg", ["jiaotong", "code", "name"])
def test_new_takes_the_next_free_code_and_validates_but_for_todos(registry_copy, capsys,
                                                                  dept_arg):
    snap, dept = _dept(registry_copy)
    arg = {"jiaotong": "jiaotong", "code": dept.code, "name": dept.name}[dept_arg]
    prefix = f"3302{dept.code}"
    highest = max((int(c[6:9]) for c in snap.powers if c.startswith(prefix)), default=0)
    code, out, err = run(capsys, registry_copy, "new", "--department", arg, "--type", "行政处罚",
                         "--name", "对测试事项的处罚")
    assert code == 0, err
    expected = f"{prefix}{highest + 1:03d}000"
    assert expected in out
    rel = f"data/powers/jiaotong/{expected}.ttl"
    text = (registry_copy / rel).read_text(encoding="utf-8")
    assert "对测试事项的处罚" in text and "pw:discretionTier" in text
    todos = _validate_only_todos(registry_copy, rel)
    fields = {d.field for d in todos}
    assert "承办机构 / handling unit" in fields and "责任事项 / responsibility" in fields


def test_penalty_skeleton_carries_the_stages_the_type_requires(registry_copy, capsys):
    run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", "02", "-n", "对某行为的处罚")
    snap = load_snapshot(registry_copy, use_cache=False)
    new = max((p for p in snap.powers.values() if p.title == "对某行为的处罚"), key=lambda p: p.code)
    assert [r.stage for r in new.responsibilities] == [
        "filing", "investigation", "hearing", "notification", "decision", "delivery",
        "execution", "other"]
    assert [t.tier for t in new.tiers] == ["lenient", "ordinary", "severe"]


def test_licence_skeleton_has_licence_stages_and_time_limit(registry_copy, capsys):
    code, out, _ = run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", "行政许可", "-n",
                       "测试许可", "--law", registry_law_title(registry_copy), "--article", "12")
    assert code == 0
    snap = load_snapshot(registry_copy, use_cache=False)
    new = next(p for p in snap.powers.values() if p.title == "测试许可")
    assert new.responsibilities[0].stage == "acceptance"
    assert new.statutory_time_limit == 20
    assert new.citations[0].article == 12


def registry_law_title(root) -> str:
    snap = load_snapshot(root, use_cache=False)
    return sorted(snap.laws.values(), key=lambda law: law.id)[0].title


def test_an_abolished_code_is_never_handed_out_again(registry_copy, capsys):
    snap, dept = _dept(registry_copy)
    # an abolished record with a higher main-item number than any in force
    src = next(p for p in snap.powers.values() if p.department == "jiaotong"
               and p.power_type == "02" and not p.main_item)
    ghost = f"3302{dept.code}990000"
    text = (registry_copy / src.path).read_text(encoding="utf-8").replace(src.code, ghost)
    text = text.replace("status:in-force", "status:abolished")
    (registry_copy / f"data/powers/jiaotong/{ghost}.ttl").write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", "02", "-n", "新处罚")
    assert f"3302{dept.code}991000" in out


def test_codes_deleted_in_git_history_are_not_reused(registry_copy):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    snap, dept = _dept(registry_copy)
    src = next(p for p in snap.powers.values() if p.department == "jiaotong"
               and p.power_type == "02" and not p.main_item)
    ghost = registry_copy / f"data/powers/jiaotong/3302{dept.code}995000.ttl"
    ghost.write_text((registry_copy / src.path).read_text(encoding="utf-8"), encoding="utf-8")
    git = ["git", "-C", str(registry_copy), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "add"], check=True)
    ghost.unlink()
    subprocess.run([*git, "commit", "-qam", "remove"], check=True)
    from registry.newrecord import used_codes

    assert f"3302{dept.code}995000" in used_codes(registry_copy)


def test_sub_item_gets_the_next_number_under_its_main_item(registry_copy, capsys):
    snap = load_snapshot(registry_copy, use_cache=False)
    main = next(p for p in snap.powers.values() if p.department == "jiaotong"
                and p.code.endswith("000") and not p.main_item)
    taken = [int(c[9:]) for c in snap.powers if c[:9] == main.code[:9]]
    code, out, err = run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", main.power_type,
                         "--parent", main.code, "-n", "子项测试")
    assert code == 0, err
    new_code = f"{main.code[:9]}{max(taken) + 1:03d}"
    assert new_code in out
    rel = f"data/powers/jiaotong/{new_code}.ttl"
    assert f"pw:mainItem power:{main.code}" in (registry_copy / rel).read_text(encoding="utf-8")
    _validate_only_todos(registry_copy, rel)


def test_unknown_department_or_type_is_a_clear_error(registry_copy, capsys):
    code, _, err = run(capsys, registry_copy, "new", "-d", "不存在的厅", "-t", "02", "-n", "x")
    assert code == 1 and "不存在的厅" in err and "department" in err
    code, _, err = run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", "行政魔法", "-n", "x")
    assert code == 1 and "行政魔法" in err


def test_sub_item_of_another_department_is_refused(registry_copy, capsys):
    snap = load_snapshot(registry_copy, use_cache=False)
    other = next(p for p in snap.powers.values() if p.department != "jiaotong" and not p.main_item)
    code, _, err = run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", other.power_type,
                       "--parent", other.code, "-n", "x")
    assert code == 1 and other.code in err


def test_next_code_fills_from_the_highest_used_number():
    used = {"330218001000", "330218002000", "330218002001", "330118003000"}
    assert next_code(used, "02", "18") == "330218003000"
    assert next_code(used, "02", "18", parent="330218002000") == "330218002002"
    assert next_code(set(), "05", "31") == "330531001000"


def test_dry_run_prints_the_skeleton_and_writes_nothing(registry_copy, capsys):
    before = sorted(registry_copy.rglob("*.ttl"))
    code, out, _ = run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", "02", "-n", "试运行",
                       "--dry-run")
    assert code == 0 and out.startswith("@prefix") and "试运行" in out
    assert sorted(registry_copy.rglob("*.ttl")) == before
