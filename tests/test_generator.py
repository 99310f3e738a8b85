"""The sample generator (scripts/generate_sample.py): deterministic, well-formed, closed.

Fast: a 300-power registry is generated (twice) into a temporary folder; no shipped
data is read or written.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO)]

import generate_sample  # noqa: E402
from sample import build, creditcode  # noqa: E402
from sample.chinese import money, numeral, provision  # noqa: E402

PW = "https://powers.example.org/def/"
N = 300


def _files(root: Path) -> dict[str, bytes]:
    data = root / "data"
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(data.rglob("*.ttl"))}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    build.run(root, N)
    return root


@pytest.fixture(scope="module")
def graph(registry: Path) -> dict[str, dict[str, list]]:
    """subject IRI → predicate local name → objects, over every record of the registry."""
    out: dict[str, dict[str, list]] = {}
    for path in sorted((registry / "data").rglob("*.ttl")):
        for quad in ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE):
            subject = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else None
            if subject is None:
                continue
            pred = quad.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            out.setdefault(subject, {}).setdefault(pred, []).append(quad.object)
    return out


def _powers(graph: dict) -> dict[str, dict]:
    return {s: p for s, p in graph.items() if "/id/power/" in s}


def test_same_seed_same_bytes(registry: Path, tmp_path: Path) -> None:
    build.run(tmp_path, N)
    first, second = _files(registry), _files(tmp_path)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_files_are_canonical_utf8(registry: Path) -> None:
    for path in list((registry / "data" / "powers").rglob("*.ttl"))[:50]:
        raw = path.read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n")
        assert "对" in raw.decode("utf-8") or "@zh" in raw.decode("utf-8")


def test_counts(graph: dict, registry: Path) -> None:
    powers = _powers(graph)
    in_force = [p for p in powers.values()
                if p["status"][0].value.endswith("/in-force")]
    assert len(in_force) == N
    assert len(powers) > N  # some abolished, delegated or merged
    assert len(list((registry / "data" / "departments").glob("*.ttl"))) == 42


def test_codes_are_well_formed(graph: dict, registry: Path) -> None:
    depts = {s.rsplit("/", 1)[-1]: p["departmentCode"][0].value
             for s, p in graph.items() if "/id/department/" in s}
    assert len(set(depts.values())) == len(depts)
    for path in (registry / "data" / "powers").rglob("*.ttl"):
        code = path.stem
        assert re.fullmatch(r"33(0[1-9]|10)\d{8}", code), code
        props = graph[f"https://powers.example.org/id/power/{code}"]
        assert props["code"][0].value == code
        assert props["powerType"][0].value.endswith("/" + code[2:4])
        slug = props["department"][0].value.rsplit("/", 1)[-1]
        assert path.parent.name == slug
        assert code[4:6] == depts[slug]


def test_sub_items_share_the_main_prefix(graph: dict) -> None:
    powers = _powers(graph)
    subs = [(s, p) for s, p in powers.items() if not s.endswith("000")]
    assert subs, "expected some sub-items"
    for subject, props in subs:
        main = props["mainItem"][0].value
        assert main.endswith("000") and main[:-3] == subject[:-3]
        assert main in powers
    for subject, props in powers.items():
        if subject.endswith("000"):
            assert "mainItem" not in props


def test_every_reference_resolves(graph: dict) -> None:
    powers = _powers(graph)
    for props in powers.values():
        assert props["department"][0].value in graph
        for key in ("successor", "mainItem"):
            for target in props.get(key, []):
                assert target.value in powers


def test_cited_laws_exist_and_all_written_laws_are_cited(registry: Path, graph: dict) -> None:
    cited: set[str] = set()
    for path in (registry / "data" / "powers").rglob("*.ttl"):
        for quad in ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE):
            if quad.predicate.value == PW + "law":
                cited.add(quad.object.value)
    laws = {s for s in graph if "/id/law/" in s}
    assert cited and cited == laws


def test_merged_powers_name_an_in_force_successor(graph: dict) -> None:
    powers = _powers(graph)
    for props in powers.values():
        status = props["status"][0].value.rsplit("/", 1)[-1]
        if status == "merged":
            target = powers[props["successor"][0].value]
            assert target["status"][0].value.endswith("/in-force")
        if status != "in-force":
            assert props["statusDecision"] and props["statusDate"]


def test_credit_codes_are_valid(graph: dict) -> None:
    codes = [p["creditCode"][0].value for s, p in graph.items() if "/id/department/" in s]
    assert len(set(codes)) == len(codes) == 42
    assert all(creditcode.is_valid(c) for c in codes)
    assert creditcode.is_valid("91330100716105852F")  # a real code


def test_chinese_numbers() -> None:
    assert [numeral(n) for n in (1, 10, 15, 20, 105, 110, 2000)] == [
        "一", "十", "十五", "二十", "一百零五", "一百一十", "二千"]
    assert money(20000) == "二万元" and money(500) == "五百元"
    assert provision(50, 1, 2) == "第五十条第一款第（二）项"


def test_refuses_to_scale_the_repository() -> None:
    with pytest.raises(SystemExit):
        generate_sample.main(["--records", "300"])
