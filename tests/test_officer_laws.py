"""Citation text, `powers laws impact` / `laws list`, and warnings on amended laws."""

from __future__ import annotations

import json
import re

import pytest
from officer_util import run

from registry.citations import (
    LawIndex,
    chinese_to_int,
    parse_citation,
    split_citations,
)
from registry.model import Law
from registry.snapshot import load_snapshot
from registry.validate import validate

# --- reading citation text ----------------------------------------------------------------------


@pytest.mark.parametrize("text,value", [("一", 1), ("十", 10), ("十二", 12), ("二十", 20),
                                        ("六十三", 63), ("一百", 100), ("一百零五", 105),
                                        ("一百一十二", 112), ("两千零三", 2003), ("63", 63),
                                        ("６３", 63)])
def test_chinese_numerals(text, value):
    assert chinese_to_int(text) == value


def test_the_published_citation_form_is_read_completely():
    raw = ("【法律】《中华人民共和国公路法》（1997年7月3日公布，2017年11月4日第五次修正）"
           "第五十条第一款：“超过公路、公路桥梁、公路隧道或者汽车渡船的限载、限高、限宽、限长标准的车辆，"
           "不得在有限定标准的公路、公路桥梁上或者公路隧道内行驶。”")
    c = parse_citation(raw)
    assert c.level_label == "法律" and c.title == "中华人民共和国公路法"
    assert (c.article, c.paragraph, c.item) == (50, 1, None)
    assert c.version == "2017-11-04"
    assert c.quote.startswith("超过公路") and c.quote.endswith("行驶。")
    assert c.raw == raw


def test_items_normative_documents_and_quotes_with_inner_quotes():
    c = parse_citation("《浙江省人民政府关于公布省级行政权力清单的通知》（浙政发〔2014〕23号）第三条第二款"
                       "第（四）项：“按照“谁审批、谁负责”的原则……”")
    assert (c.article, c.paragraph, c.item) == (3, 2, 4)
    assert c.parenthetical == "浙政发〔2014〕23号" and c.version is None
    assert c.quote == "按照“谁审批、谁负责”的原则……"
    assert parse_citation("《道路运输条例》第63条").article == 63
    assert parse_citation("《公路法》第五十条第二项").item == 2


def test_a_citation_without_a_title_is_an_error():
    with pytest.raises(ValueError, match="《"):
        parse_citation("第五十条：“……”")


def test_a_cell_with_several_citations_is_split_but_never_inside_a_quote():
    cell = ("1.《中华人民共和国公路法》第五十条：“依照《中华人民共和国道路交通安全法》执行。”；"
            "2.《公路安全保护条例》第三十五条\n《浙江省公路路政管理条例》第十条")
    parts = split_citations(cell)
    assert len(parts) == 3
    assert parts[0].endswith("执行。”") and parts[1].startswith("《公路安全保护条例》")


def test_laws_are_matched_by_full_short_and_bare_titles():
    laws = [Law(id="L005", title="中华人民共和国公路法", short_title="公路法"),
            Law(id="R001", title="浙江省公路路政管理条例", short_title="公路路政管理条例")]
    index = LawIndex(laws)
    assert index.match("中华人民共和国公路法").id == "L005"
    assert index.match("公路法").id == "L005"
    assert index.match("公路路政管理条例").id == "R001"
    assert index.match("浙江省 公路路政管理条例").id == "R001"
    assert index.find("l005").id == "L005"
    assert index.match("道路运输条例") is None


# --- laws impact and list ----------------------------------------------------------------------

def _most_cited(root):
    snap = load_snapshot(root, use_cache=False)
    citing = snap.powers_citing()
    law_id = max(citing, key=lambda k: (len([p for p in citing[k] if p.in_force]), k))
    return snap, snap.laws[law_id]


@pytest.mark.parametrize("how", ["id", "title", "short"])
def test_impact_lists_every_power_in_force_citing_the_law(small_registry, capsys, how):
    snap, law = _most_cited(small_registry)
    name = {"id": law.id, "title": law.title, "short": law.short_title or law.title}[how]
    code, out, err = run(capsys, small_registry, "laws", "impact", name, "--json")
    assert code == 0, err
    data = json.loads(out)
    expected = {p.code for p in snap.powers_citing()[law.id] if p.in_force}
    assert {h["code"] for h in data["hits"]} == expected
    assert data["powers"] == len(expected)


def test_impact_of_one_article(small_registry, capsys):
    snap, law = _most_cited(small_registry)
    article = next(c.article for p in snap.powers_citing()[law.id] if p.in_force
                   for c in p.citations if c.law == law.id)
    code, out, _ = run(capsys, small_registry, "laws", "impact", law.id, "--article",
                       str(article), "--json")
    data = json.loads(out)
    assert data["hits"] and all(h["article"] == article for h in data["hits"])
    code, text, _ = run(capsys, small_registry, "laws", "impact", law.id, "--article",
                        str(article))
    assert code == 0 and law.title in text and data["hits"][0]["code"] in text


def test_impact_of_an_unknown_law_is_an_error(small_registry, capsys):
    code, _, err = run(capsys, small_registry, "laws", "impact", "不存在的法")
    assert code == 1 and "不存在的法" in err


def test_laws_list_counts_powers_in_force(small_registry, capsys):
    snap = load_snapshot(small_registry, use_cache=False)
    code, out, _ = run(capsys, small_registry, "laws", "list", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert set(rows) == set(snap.laws)
    for law_id, powers in snap.powers_citing().items():
        assert rows[law_id]["powers"] == len([p for p in powers if p.in_force])
    counts = [r["powers"] for r in json.loads(out)]
    assert counts == sorted(counts, reverse=True)
    code, text, _ = run(capsys, small_registry, "laws", "list")
    assert code == 0 and "权力" in text


# --- amended and repealed laws -------------------------------------------------------------------

def _amend(root, law: Law, date: str) -> None:
    path = root / law.path
    text = path.read_text(encoding="utf-8")
    if "pw:amendmentDate" in text:
        text = re.sub(r"pw:amendmentDate\s", f'pw:amendmentDate "{date}"^^xsd:date, ', text,
                      count=1)
    else:
        text = text.replace("    pw:lawStatus", f'    pw:amendmentDate "{date}"^^xsd:date ;\n'
                            "    pw:lawStatus", 1)
    path.write_text(text, encoding="utf-8")


def test_an_amendment_warns_on_every_power_citing_the_older_version(registry_copy, capsys):
    snap, law = _most_cited(registry_copy)
    citing = {p.path for p in snap.powers_citing()[law.id]
              if any(c.law == law.id and c.cited_version for c in p.citations)}
    assert citing, "the sample must record which version each citation cites"
    before = validate(registry_copy, use_cache=False)
    assert not [d for d in before.diagnostics if d.rule == "law-amended" and d.path in citing]
    _amend(registry_copy, law, "2099-01-01")
    after = validate(registry_copy, use_cache=False)
    warned = {d.path for d in after.diagnostics if d.rule == "law-amended"}
    assert citing <= warned
    assert after.ok  # a warning, not an error
    code, out, _ = run(capsys, registry_copy, "laws", "impact", law.id, "--json")
    data = json.loads(out)
    assert data["outdated"] == len([h for h in data["hits"] if h["cited_version"]])


def test_a_repealed_law_warns_on_every_power_in_force_citing_it(registry_copy):
    snap, law = _most_cited(registry_copy)
    path = registry_copy / law.path
    path.write_text(re.sub(r"lawstatus:[a-z-]+", "lawstatus:repealed",
                           path.read_text(encoding="utf-8")), encoding="utf-8")
    report = validate(registry_copy, use_cache=False)
    warned = {d.path for d in report.diagnostics if d.rule == "law-repealed"}
    # tombstones may rest on a repealed law (often why they were abolished): not warned
    assert {p.path for p in snap.powers_citing()[law.id] if p.in_force} == warned & {
        p.path for p in snap.powers_citing()[law.id]}
    assert report.ok


def test_new_records_cite_the_current_version(registry_copy, capsys):
    snap, law = _most_cited(registry_copy)
    code, out, _ = run(capsys, registry_copy, "new", "-d", "jiaotong", "-t", "02", "-n", "版本测试",
                       "--law", law.id, "--article", "3")
    after = load_snapshot(registry_copy, use_cache=False)
    p = next(x for x in after.powers.values() if x.title == "版本测试")
    assert p.citations[0].cited_version == (law.last_amended or law.promulgated)


def test_an_imported_citation_of_an_old_version_is_flagged(registry_copy, tmp_path, capsys):
    snap = load_snapshot(registry_copy, use_cache=False)
    law = next(x for x in sorted(snap.laws.values(), key=lambda x: x.id)
               if x.amendments and x.promulgated and x.status != "repealed")
    y, m, d = (int(v) for v in law.promulgated.split("-"))
    sheet = tmp_path / "许可.csv"
    sheet.write_text("主管部门,事项名称,设定和实施依据\n"
                     f"{snap.departments['jiaotong'].name},旧版依据测试,"
                     f"《{law.title}》（{y}年{m}月{d}日公布）第三条\n", encoding="utf-8")
    code, out, _ = run(capsys, registry_copy, "import", str(sheet))
    assert code == 0, out
    assert "law-amended" in out
    created = next(p for p in load_snapshot(registry_copy, use_cache=False).powers.values()
                   if p.title == "旧版依据测试")
    assert created.citations[0].cited_version == law.promulgated
