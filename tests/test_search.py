"""Chinese full-text search: relevance, substring matching, facets, highlights, the cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from registry.snapshot import load_snapshot
from search import SearchIndex
from search.index import fingerprint

REPO = Path(__file__).resolve().parents[1]

TEMPLATE = """@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix dept: <https://powers.example.org/id/department/> .
@prefix law: <https://powers.example.org/id/law/> .
@prefix level: <https://powers.example.org/code/exercise-level/> .
@prefix power: <https://powers.example.org/id/power/> .
@prefix ptype: <https://powers.example.org/code/power-type/> .
@prefix pw: <https://powers.example.org/def/> .
@prefix stage: <https://powers.example.org/code/responsibility-stage/> .
@prefix status: <https://powers.example.org/code/status/> .

power:{code}
    a pw:AdministrativePower ;
    pw:code "{code}" ;
    dcterms:title "{title}"@zh ;
    pw:powerType ptype:{ptype} ;
    pw:department dept:{dept} ;
    pw:handlingUnit "运输管理处"@zh ;
    pw:exerciseLevel level:2 ;
    pw:status status:{status} ;
    pw:starRating {star} ;
    pw:legalBasis [
        pw:order 1 ;
        pw:law law:{law} ;
        pw:article 36 ;
        pw:quote "{quote}"@zh
    ] .
"""

#: (MMM, type, title, quote, status, star)
EXTRA = [
    ("901", "01", "机动车驾驶员培训许可", "从事机动车驾驶员培训业务的，应当具备下列条件。", "in-force", 4),
    ("902", "02", "对未经许可擅自从事机动车驾驶员培训业务的处罚",
     "未经许可擅自从事机动车驾驶培训业务的，责令停止经营；驾驶培训机构应当……", "in-force", 3),
    ("903", "02", "对机动车驾驶员培训机构不按规定组织驾驶培训教学的处罚",
     "驾驶培训机构不严格按照规定进行驾驶培训的，责令改正。", "in-force", 3),
    ("904", "02", "对驾驶培训机构聘用不合格教练员的处罚",
     "机动车驾驶培训机构聘用未经考核合格的教练员从事驾驶培训的，责令改正。", "in-force", 2),
    ("905", "01", "道路运输经营许可", "申请从事道路运输经营的，应当具备下列条件。", "in-force", 5),
    ("906", "02", "对危险化学品道路运输企业未配备专职安全管理人员的处罚",
     "危险化学品道路运输企业未配备专职安全管理人员的，责令改正。", "in-force", 3),
    ("907", "02", "对<b>标记</b>&测试的处罚", "含有<script>alert(1)</script>的文本。", "in-force", 1),
    ("908", "01", "机动车驾驶员培训教练场经营许可", "已取消的许可事项。", "abolished", 1),
    ("909", "02", "对在火车上倒卖车票行为的处罚", "倒卖车票的，处以罚款。", "in-force", 2),
]


@pytest.fixture(scope="module")
def registry(tmp_path_factory, small_registry: Path) -> Path:
    root = tmp_path_factory.mktemp("search") / "registry"
    shutil.copytree(small_registry, root, ignore=shutil.ignore_patterns(".powers-cache"))
    snap = load_snapshot(root)
    dept = "jiaotong" if "jiaotong" in snap.departments else sorted(snap.departments)[0]
    dd = snap.departments[dept].code
    law = sorted(snap.laws)[0]
    folder = root / "data" / "powers" / dept
    for mmm, ptype, title, quote, status, star in EXTRA:
        code = f"33{ptype}{dd}{mmm}000"
        text = TEMPLATE.format(code=code, title=title.replace('"', '\\"'), ptype=ptype, dept=dept,
                               status=status, star=star, law=law, quote=quote)
        if status != "in-force":
            text = text.rstrip(" .\n") + ' ;\n    pw:statusDecision "浙政发〔2016〕12号"@zh ;\n' \
                '    pw:statusDate "2016-03-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
        (folder / f"{code}.ttl").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def snap(registry: Path):
    return load_snapshot(registry)


@pytest.fixture(scope="module")
def index(registry: Path, snap) -> SearchIndex:
    return SearchIndex.open(registry, snap)


def code_of(snap, title: str) -> str:
    return next(c for c, p in snap.powers.items() if p.title == title)


def titles(result) -> list[str]:
    return [h.title for h in result.hits]


def test_driving_training_puts_the_licence_above_penalties_that_mention_it(index, snap):
    result = index.search("驾驶培训")
    got = titles(result)
    assert got[0] == "机动车驾驶员培训许可"
    assert {"对未经许可擅自从事机动车驾驶员培训业务的处罚",
            "对驾驶培训机构聘用不合格教练员的处罚"} <= set(got)
    # the abolished licence is found but ranks below the one in force
    assert got.index("机动车驾驶员培训教练场经营许可") > 0


def test_an_exact_name_ranks_first(index):
    assert titles(index.search("道路运输经营许可"))[0] == "道路运输经营许可"


def test_a_phrase_matches_where_it_appears_verbatim(index, snap):
    result = index.search("道路运输经营")
    assert titles(result)[0] == "道路运输经营许可"
    for hit in result.hits[:1]:
        assert "<mark>道路运输经营</mark>" in hit.highlights["name"]


def test_a_short_word_matches_inside_longer_compounds(index, snap):
    result = index.search("许可", limit=1000)
    expected = {c for c, p in snap.powers.items() if "许可" in p.title}
    assert expected <= {h.code for h in result.hits}


def test_a_compound_inside_a_longer_name_is_found(index):
    got = titles(index.search("危险化学品"))
    assert "对危险化学品道路运输企业未配备专职安全管理人员的处罚" in got


def test_a_word_no_record_holds_falls_back_to_its_parts(index):
    # jieba keeps 火车票 whole; no record holds it, but one holds 火车 and 车票
    result = index.search("火车票")
    assert result.relaxed
    assert titles(result)[0] == "对在火车上倒卖车票行为的处罚"


def test_a_code_or_code_prefix_finds_the_power(index, snap):
    code = code_of(snap, "机动车驾驶员培训许可")
    assert [h.code for h in index.search(code).hits] == [code]
    prefix = code[:6]
    got = index.search(prefix, limit=1000)
    assert got.total == sum(1 for c in snap.powers if c.startswith(prefix))


def test_filters_narrow_and_facets_count_every_match(index, snap):
    result = index.search("驾驶培训", power_type="02")
    assert result.hits and all(h.power_type == "02" for h in result.hits)
    everything = index.search("驾驶培训")
    counts = {v.key: v.count for v in everything.facets["type"]}
    assert counts["01"] == sum(1 for h in everything.hits if h.power_type == "01")
    assert sum(v.count for v in everything.facets["status"]) == everything.total
    assert {v.label for v in everything.facets["type"]} >= {"行政许可", "行政处罚"}
    starred = index.search("驾驶培训", star=4)
    assert "机动车驾驶员培训许可" in titles(starred)
    assert all(h.star == 4 for h in starred.hits)


def test_highlights_escape_html_in_records(index):
    hit = index.search("标记").hits[0]
    assert "<b>" not in hit.highlights["name"]
    assert "&lt;b&gt;<mark>标记</mark>&lt;/b&gt;" in hit.highlights["name"]
    script = index.search("测试").hits[0].highlights.get("basis", "")
    assert "<script>" not in script


def test_browsing_without_words_lists_by_code_with_facets(index, snap):
    result = index.search("", limit=5)
    assert result.total == len(snap.powers)
    assert [h.code for h in result.hits] == sorted(snap.powers)[:5]


def test_the_index_is_built_once_and_rebuilt_when_the_data_changes(registry, snap, tmp_path):
    from search.index import ensure

    root = tmp_path / "r"
    shutil.copytree(registry, root, ignore=shutil.ignore_patterns(".powers-cache"))
    s1 = load_snapshot(root)
    folder, built = ensure(root, s1)
    assert built
    assert ensure(root, load_snapshot(root)) == (folder, False)
    first = sorted((root / "data" / "powers").rglob("*.ttl"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace(
        '"@zh ;', '改"@zh ;', 1), encoding="utf-8")
    s2 = load_snapshot(root)
    assert fingerprint(s2) != fingerprint(s1)
    folder2, built2 = ensure(root, s2)
    assert built2 and folder2 != folder
    assert not folder.exists()  # the stale index is removed


def test_cli_search_prints_hits_and_json(registry):
    run = subprocess.run([sys.executable, "-m", "cli", "search", "驾驶培训", "--json",
                          "--root", str(registry)], capture_output=True, text=True, cwd=REPO,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["hits"][0]["title"] == "机动车驾驶员培训许可"
    none = subprocess.run([sys.executable, "-m", "cli", "search", "不存在的词语组合", "--root",
                           str(registry)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert none.returncode == 1
    assert "没有找到" in none.stderr


@pytest.mark.corpus
def test_on_the_shipped_data_driving_training_finds_the_licence_first():
    snap = load_snapshot(REPO)
    index = SearchIndex.open(REPO, snap)
    first = index.search("驾驶培训").hits[0]
    assert first.power_type == "01" and "驾驶员培训" in first.title
    top = index.search("道路运输经营", limit=5).hits
    assert "道路运输经营" in top[0].title
    assert all(all(w in h.title for w in ("道路", "运输", "经营")) for h in top)
