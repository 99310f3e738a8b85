"""`powers validate`: every layer, every bad input, all reported together."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from registry.namespaces import PW
from registry.turtle import parse, serialize
from registry.validate import validate


def first_power(root: Path, slug: str = "jiaotong") -> Path:
    return sorted((root / "data" / "powers" / slug).glob("*.ttl"))[0]


def second_power(root: Path, slug: str = "jiaotong") -> Path:
    return sorted((root / "data" / "powers" / slug).glob("*.ttl"))[1]


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args, "--root", str(root)],
                          capture_output=True, text=True, cwd=Path(__file__).parents[1],
                          timeout=120)


def rules_for(report, path: Path, root: Path) -> set[str]:
    rel = path.relative_to(root).as_posix()
    return {d.rule for d in report.diagnostics if d.path == rel and d.is_error}


def test_the_small_registry_is_valid(small_registry):
    report = validate(small_registry, use_cache=False)
    assert report.ok, [d.message for d in report.errors][:5]
    assert report.records["power"] > 30


def test_cli_exit_codes_and_summary(small_registry, tmp_path):
    done = run_cli(small_registry, "validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 个错误" in done.stdout and "0 errors" in done.stdout
    not_a_registry = run_cli(tmp_path, "validate")
    assert not_a_registry.returncode == 2
    assert "data/" in not_a_registry.stderr and "Traceback" not in not_a_registry.stderr


def test_truncated_file_names_line_and_column(registry_copy):
    f = first_power(registry_copy)
    text = f.read_text(encoding="utf-8")
    f.write_text(text[: len(text) // 2], encoding="utf-8")
    report = validate(registry_copy)
    diag = next(d for d in report.errors if d.rule == "syntax")
    assert diag.path.endswith(f.name) and diag.line and diag.column
    assert "语法错误" in diag.message and "syntax error" in diag.message


def test_invalid_utf8_is_a_syntax_error(registry_copy):
    f = first_power(registry_copy)
    f.write_bytes(f.read_bytes().replace("处".encode(), b"\xff\xfe", 1))
    report = validate(registry_copy)
    assert "syntax" in rules_for(report, f, registry_copy)


def test_empty_file(registry_copy):
    f = first_power(registry_copy)
    f.write_bytes(b"")
    report = validate(registry_copy)
    assert rules_for(report, f, registry_copy) == {"empty-file"}


@pytest.mark.parametrize("predicate,field", [
    ("pw:department", "department"),
    ("pw:legalBasis", "legal"),
    ("pw:powerType", "type"),
])
def test_missing_required_field_names_the_field(registry_copy, predicate, field):
    f = first_power(registry_copy)
    full = PW + predicate.split(":")[1]
    triples = parse(f.read_bytes())
    dropped = {t.object for t in triples if t.predicate.value == full}
    kept = [t for t in triples if t.predicate.value != full and t.subject not in dropped]
    f.write_text(serialize(kept), encoding="utf-8")
    report = validate(registry_copy)
    errors = [d for d in report.errors if d.path.endswith(f.name)]
    assert errors, "a record missing a required field must fail"
    assert any(field in (d.field or "").lower() or field in d.message.lower() for d in errors)


def test_malformed_code(registry_copy):
    f = first_power(registry_copy)
    code = f.stem
    bad = f.with_name("33AB" + code[4:] + ".ttl")
    bad.write_text(f.read_text(encoding="utf-8").replace(code, bad.stem), encoding="utf-8")
    f.unlink()
    report = validate(registry_copy)
    rules = rules_for(report, bad, registry_copy)
    assert rules & {"file-name", "shacl:Pattern"}


def test_two_records_with_one_code(registry_copy):
    f = first_power(registry_copy)
    other = sorted(d for d in (registry_copy / "data" / "powers").iterdir() if d.name != "jiaotong")[0]
    dup = other / f.name
    dup.write_bytes(f.read_bytes())
    report = validate(registry_copy)
    assert "unique-code" in rules_for(report, f, registry_copy)
    assert "unique-code" in rules_for(report, dup, registry_copy)


@pytest.mark.parametrize("old,new,rule", [
    ("dept:jiaotong", "dept:nosuchdept", "department-ref"),
    ("pw:law law:", "pw:law law:X9", "law-ref"),
    ("pw:status status:", "pw:status status:no-such-", "concept-ref"),
])
def test_dangling_references(registry_copy, old, new, rule):
    f = first_power(registry_copy)
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    report = validate(registry_copy)
    assert rule in rules_for(report, f, registry_copy) | {
        d.rule for d in report.errors if d.path.endswith(f.name) and d.rule.startswith("shacl")
        and rule == "concept-ref"}


def test_triple_about_another_power_is_rejected(registry_copy):
    f = first_power(registry_copy)
    victim = second_power(registry_copy).stem
    f.write_text(f.read_text(encoding="utf-8")
                 + f'\n<https://powers.example.org/id/power/{victim}> '
                   '<http://purl.org/dc/terms/title> "被篡改"@zh .\n', encoding="utf-8")
    report = validate(registry_copy)
    diag = next(d for d in report.errors if d.rule == "one-subject")
    assert diag.path.endswith(f.name) and victim in diag.message and diag.line


def test_huge_file_is_refused_without_parsing(registry_copy):
    f = first_power(registry_copy)
    with f.open("ab") as out:
        out.write(b"# padding\n" * 2_000_000)  # 20 MB
    report = validate(registry_copy)
    assert rules_for(report, f, registry_copy) == {"file-too-large"}


def test_file_name_differs_from_code(registry_copy):
    f = first_power(registry_copy)
    moved = f.with_name("339999999000.ttl")
    f.rename(moved)
    report = validate(registry_copy)
    assert "file-name" in rules_for(report, moved, registry_copy)


def test_every_problem_is_reported_and_others_still_checked(registry_copy):
    a, b = first_power(registry_copy), second_power(registry_copy)
    a.write_bytes(b"")
    b.write_text(b.read_text(encoding="utf-8").replace("dept:jiaotong", "dept:nosuch"),
                 encoding="utf-8")
    done = run_cli(registry_copy, "validate", "--format", "json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    paths = {d["path"] for d in data["diagnostics"] if d["severity"] == "error"}
    assert any(p.endswith(a.name) for p in paths) and any(p.endswith(b.name) for p in paths)
    assert data["records"]["power"] > 30


def test_github_annotations(registry_copy):
    f = first_power(registry_copy)
    f.write_text(f.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    done = run_cli(registry_copy, "validate", "--format", "github")
    assert done.returncode == 1
    line = next(x for x in done.stdout.splitlines() if x.startswith("::error"))
    assert f"file=data/powers/jiaotong/{f.name},line=" in line


def test_unloadable_shapes_exit_2(registry_copy):
    (registry_copy / "shapes" / "broken.ttl").write_text("this is not turtle", encoding="utf-8")
    done = run_cli(registry_copy, "validate")
    assert done.returncode == 2
    assert "shapes/broken.ttl" in done.stderr and "Traceback" not in done.stderr


def test_cache_reuses_work_and_sees_edits(registry_copy):
    first = validate(registry_copy)
    again = validate(registry_copy)
    assert again.checked == 0 and again.ok
    f = first_power(registry_copy)
    f.write_text(f.read_text(encoding="utf-8").replace("dept:jiaotong", "dept:nosuch"),
                 encoding="utf-8")
    edited = validate(registry_copy)
    assert edited.checked == 1 and not edited.ok
    assert first.ok


def test_corrupted_cache_is_rebuilt(registry_copy):
    validate(registry_copy)
    shards = sorted((registry_copy / ".powers-cache" / "records").glob("*.pickle"))
    assert len(shards) > 1  # one file per shard of the records
    for shard in shards:
        shard.write_bytes(shard.read_bytes()[:-100] + b"garbage")
    report = validate(registry_copy)
    assert report.ok and report.checked == report.records["power"] + report.records[
        "department"] + report.records["law"]


def test_one_changed_record_rewrites_one_cache_shard(registry_copy):
    validate(registry_copy)
    folder = registry_copy / ".powers-cache" / "records"
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    path = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("@zh ;", "@zh ;\n", 1),
                    encoding="utf-8")
    report = validate(registry_copy)
    assert report.checked == 1
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pickle")}
    assert sum(1 for name, t in after.items() if before.get(name) != t) == 1


@pytest.mark.corpus
def test_shipped_registry_is_valid_with_4236_powers_in_force():
    repo = Path(__file__).parents[1]
    report = validate(repo, use_cache=False)
    assert report.ok, [d.to_dict() for d in report.errors][:5]
    done = run_cli(repo, "stats", "--json")
    stats = json.loads(done.stdout)
    assert stats["in_force"] == 4236 and stats["departments"] == 42
    assert stats["abolished"] >= 60 and stats["laws"] >= 150


def test_a_full_run_forgets_the_cache_entries_of_deleted_files(registry_copy):
    from registry.cache import record_cache
    from registry.validate import refs_cache

    validate(registry_copy)
    path = sorted((registry_copy / "data" / "powers").rglob("*.ttl"))[-1]
    rel = path.relative_to(registry_copy).as_posix()
    assert any(k[0] == rel for k in record_cache(registry_copy).entries)
    path.unlink()
    validate(registry_copy)
    assert not any(k[0] == rel for k in record_cache(registry_copy).entries)
    assert not any(k[0] == rel for k in refs_cache(registry_copy).entries)
