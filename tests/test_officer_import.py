"""`powers import`: spreadsheets to records, row by row, all or nothing."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from officer_util import REPO, graph_of, power_files, run, to_rdflib
from openpyxl import Workbook
from rdflib.compare import isomorphic

from registry import turtle
from registry.cells import Codes
from registry.exporter import export_bytes
from registry.importer import import_sheet, levels_from_organ, tier_from_text
from registry.snapshot import load_snapshot


def _export(root, fmt: str, path, department=None):
    snap = load_snapshot(root, use_cache=False)
    path.write_bytes(export_bytes(snap, fmt, department))
    return snap


def _read_csv(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def _write_csv(path, rows) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))


def _snapshot_bytes(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in power_files(root)}


# --- the project's own layout: round trip ---------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(registry_copy, tmp_path, capsys, fmt):
    sheet = tmp_path / f"list.{fmt}"
    snap = _export(registry_copy, fmt, sheet)
    before = _snapshot_bytes(registry_copy)
    code, out, err = run(capsys, registry_copy, "import", str(sheet))
    assert code == 0, out + err
    assert f"unchanged {len(snap.powers)}, errors 0" in out
    assert _snapshot_bytes(registry_copy) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_into_an_empty_department_gives_back_the_same_graphs(registry_copy, tmp_path,
                                                                     fmt):
    sheet = tmp_path / f"list.{fmt}"
    _export(registry_copy, fmt, sheet)
    originals = {p.relative_to(registry_copy).as_posix(): graph_of(p)
                 for p in power_files(registry_copy)}
    shutil.rmtree(registry_copy / "data" / "powers")
    report = import_sheet(registry_copy, sheet, use_cache=False)
    assert report.ok, [r.messages for r in report.rows if r.action == "error"][:3]
    assert report.count("created") == len(originals)
    for rel, graph in originals.items():
        assert isomorphic(graph, graph_of(registry_copy / rel)), rel


def test_a_changed_cell_updates_that_field_only(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "list.csv"
    _export(registry_copy, "csv", sheet)
    rows = _read_csv(sheet)
    header = rows[0]
    rows[1][header.index("事项名称")] = rows[1][header.index("事项名称")] + "（修改）"
    levels = "省级" if rows[1][header.index("行使层级")] == "省级、市级" else "省级、市级"
    rows[1][header.index("行使层级")] = levels
    _write_csv(sheet, rows)
    code, out, err = run(capsys, registry_copy, "import", str(sheet))
    assert code == 0, out + err
    assert "更新 updated" in out and "[事项名称, 行使层级]" in out
    snap = load_snapshot(registry_copy, use_cache=False)
    changed = snap.powers[rows[1][header.index("基本编码")]]
    assert changed.title.endswith("（修改）")
    assert changed.levels == (["2"] if levels == "省级" else ["2", "3"])


def test_dry_run_reports_and_writes_nothing(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "list.csv"
    _export(registry_copy, "csv", sheet)
    rows = _read_csv(sheet)
    rows[1][rows[0].index("承办机构")] = "新处室"
    _write_csv(sheet, rows)
    before = _snapshot_bytes(registry_copy)
    code, out, _ = run(capsys, registry_copy, "import", str(sheet), "--dry-run")
    assert code == 0 and "更新 updated" in out and "dry run" in out
    assert _snapshot_bytes(registry_copy) == before


# --- nothing is half-written ----------------------------------------------------------------

def test_one_bad_row_means_nothing_is_written(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "list.csv"
    _export(registry_copy, "csv", sheet)
    rows = _read_csv(sheet)
    h = rows[0]
    rows[1][h.index("承办机构")] = "改过的处室"  # a good change
    rows[2][h.index("网上办理星级")] = "很高"  # wrong type
    rows[3][h.index("法定办结时限（工作日）")] = "3.5"  # wrong type
    _write_csv(sheet, rows)
    before = _snapshot_bytes(registry_copy)
    code, out, _ = run(capsys, registry_copy, "import", str(sheet))
    assert code == 1
    assert "第3行" in out and "K列（网上办理星级）" in out
    assert "第4行" in out and "法定办结时限" in out
    assert "nothing written" in out
    assert _snapshot_bytes(registry_copy) == before


def test_records_that_would_not_validate_are_not_written(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "list.csv"
    _export(registry_copy, "csv", sheet)
    rows = _read_csv(sheet)
    h = rows[0]
    rows[1][h.index("承办机构")] = "改过的处室"
    rows[2][h.index("所属主项")] = rows[2][h.index("基本编码")][:9] + "999"  # not a main item
    _write_csv(sheet, rows)
    before = _snapshot_bytes(registry_copy)
    code, out, _ = run(capsys, registry_copy, "import", str(sheet))
    assert code == 1 and "错误 error" in out
    assert _snapshot_bytes(registry_copy) == before


def test_unknown_department_and_law_are_reported(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "list.csv"
    _export(registry_copy, "csv", sheet)
    rows = _read_csv(sheet)
    h = rows[0]
    rows[1][h.index("实施主体")] = "浙江省魔法管理局"
    rows[2][h.index("实施依据")] = "《中华人民共和国不存在法》第一条"
    rows[2][h.index("依据条款")] = "《中华人民共和国不存在法》第一条"
    rows[2][h.index("依据条文")] = "……"
    _write_csv(sheet, rows)
    code, out, _ = run(capsys, registry_copy, "import", str(sheet))
    assert code == 1
    assert "未匹配的部门 / unmatched departments: 浙江省魔法管理局" in out
    assert "未匹配的法规 / unmatched laws: 中华人民共和国不存在法" in out


# --- malformed sheets -----------------------------------------------------------------------

def test_missing_columns_are_named(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "bad.csv"
    _write_csv(sheet, [["序号", "事项名称", "备注"], ["1", "某事项", ""]])
    code, _, err = run(capsys, registry_copy, "import", str(sheet))
    assert code == 2 and "表头" in err
    code, _, err = run(capsys, registry_copy, "import", str(sheet), "--layout", "权责清单")
    assert code == 2 and "权力分类" in err and "实施依据" in err


def test_empty_rows_are_skipped(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "list.csv"
    _export(registry_copy, "csv", sheet)
    rows = _read_csv(sheet)
    blank = [""] * len(rows[0])
    rows = [rows[0], blank, rows[1], blank, blank, *rows[2:], blank]
    _write_csv(sheet, rows)
    code, out, _ = run(capsys, registry_copy, "import", str(sheet))
    assert code == 0, out
    assert "空行 4" in out


def test_title_rows_above_the_header_and_merged_cells(registry_copy, tmp_path, capsys):
    """An official 裁量基准 sheet: a merged title row, then one row per tier with the code,
    name and basis merged down over the tiers of one power."""
    snap = load_snapshot(registry_copy, use_cache=False)
    penalty = next(p for p in sorted(snap.powers.values(), key=lambda p: p.code)
                   if p.power_type == "02" and p.in_force and p.citations)
    law = snap.laws[penalty.citations[0].law]
    wb = Workbook()
    ws = wb.active
    ws.append(["浙江省交通运输厅行政处罚裁量基准"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "事项代码", "事项名称", "处罚依据", "阶次及适用条件", "裁量幅度", "裁量基准来源"])
    basis = f"《{law.short_title or law.title}》第{penalty.citations[0].article}条"
    ws.append([1, penalty.code, penalty.title, basis, "从轻：首次违法，及时改正的", "处1万元以下罚款",
               "省厅文件"])
    ws.append([None, None, None, None, "一般：情节一般的", "处1万元以上3万元以下罚款", None])
    ws.append([None, None, None, None, "从重：拒不改正的", "处3万元以上5万元以下罚款", None])
    for col in "ABCDG":
        ws.merge_cells(f"{col}3:{col}5")
    sheet = tmp_path / "裁量基准.xlsx"
    wb.save(sheet)
    code, out, err = run(capsys, registry_copy, "import", str(sheet))
    assert code == 0, out + err
    assert "裁量基准" in out and "第3–5行描述同一事项" in out
    after = load_snapshot(registry_copy, use_cache=False).powers[penalty.code]
    assert [(t.tier, t.fine_min, t.fine_max) for t in after.tiers] == [
        ("lenient", None, 10000), ("ordinary", 10000, 30000), ("severe", 30000, 50000)]
    assert after.tiers[0].condition == "首次违法，及时改正的"
    # 裁量基准 names the basis only: the record's citations stay as they were
    assert after.citations == penalty.citations


def test_wrong_types_in_xlsx_cells(registry_copy, tmp_path, capsys):
    sheet = tmp_path / "list.xlsx"
    _export(registry_copy, "xlsx", sheet)
    from openpyxl import load_workbook

    wb = load_workbook(sheet)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("基本编码") + 1, value=float(ws.cell(2, 2).value))
    ws.cell(row=3, column=header.index("决定日期") + 1, value="去年")
    ws.cell(row=4, column=header.index("是否收费") + 1, value="也许")
    wb.save(sheet)
    report = import_sheet(registry_copy, sheet, dry_run=True, use_cache=False)
    errors = {r.row: " ".join(r.messages) for r in report.rows if r.action == "error"}
    assert 2 not in errors  # a code stored as a number is still the code
    assert "决定日期" in errors[3] and "expected a date" in errors[3]
    assert "是否收费" in errors[4]


@pytest.mark.slow
def test_ten_thousand_rows(registry_copy, tmp_path):
    """10,000 rows: the few real ones are read among thousands of junk and blank rows,
    each junk row reported by number, in seconds."""
    sheet = tmp_path / "big.csv"
    _export(registry_copy, "csv", sheet)
    rows = _read_csv(sheet)
    width = len(rows[0])
    filler = []
    for i in range(10_000 - len(rows)):
        if i % 2:
            filler.append([""] * width)
        else:
            junk = [""] * width
            junk[rows[0].index("事项名称")] = f"无编码的行{i}"
            filler.append(junk)
    _write_csv(sheet, rows + filler)
    report = import_sheet(registry_copy, sheet, dry_run=True, use_cache=False)
    assert report.count("unchanged") == len(rows) - 1
    assert report.count("error") == (len(filler) + 1) // 2
    assert report.empty_rows == len(filler) // 2
    assert any(r.row == 10_000 or r.row == 9_999 for r in report.rows if r.action == "error")


# --- official layouts -----------------------------------------------------------------------

def _cited_law(root):
    snap = load_snapshot(root, use_cache=False)
    law_id = next(c.law for p in snap.powers_of_department("jiaotong") for c in p.citations)
    return snap, snap.laws[law_id]


def test_responsibility_list_layout_creates_records_with_parsed_citations(registry_copy,
                                                                         tmp_path, capsys):
    snap, law = _cited_law(registry_copy)
    name = law.short_title or law.title
    wb = Workbook()
    ws = wb.active
    ws.append(["权力分类", "项目名称", "子项", "实施依据", "责任事项", "责任事项依据", "追责情形",
               "追责依据", "事项编号", "备注"])
    raw = f"【法律】《{name}》（2004年8月28日公布）第二十三条第一款第（二）项：“应当依法办理。”"
    ws.append(["行政许可", "测试许可事项", None, raw,
               "1.受理责任：依法受理申请。\n2.审查责任：审查申请材料。", "《行政许可法》",
               "1.对符合法定条件的申请不予受理的\n2.不在法定期限内作出决定的", "《行政许可法》第七十二条",
               None, None])
    ws.append(["行政许可", "测试许可事项", "测试许可事项之变更", raw, "受理：受理变更申请。", None,
               "对符合法定条件的申请不予受理的", None, None, None])
    ws.merge_cells("A2:A3")
    sheet = tmp_path / "权责清单.xlsx"
    wb.save(sheet)
    code, out, err = run(capsys, registry_copy, "import", str(sheet), "--department", "交通运输厅")
    assert code == 0, out + err
    assert "新建 created" in out and "责任事项依据" in out  # reported as not imported
    after = load_snapshot(registry_copy, use_cache=False)
    main = next(p for p in after.powers.values() if p.title == "测试许可事项")
    sub = next(p for p in after.powers.values() if p.title == "测试许可事项之变更")
    c = main.citations[0]
    assert (c.law, c.article, c.paragraph, c.item) == (law.id, 23, 1, 2)
    assert c.quote == "应当依法办理。" and c.raw_text == raw and c.cited_version == "2004-08-28"
    assert [r.stage for r in main.responsibilities] == ["acceptance", "review"]
    assert main.accountability == sorted(["对符合法定条件的申请不予受理的", "不在法定期限内作出决定的"])
    assert main.power_type == "01" and main.code.startswith("3301")
    assert sub.main_item == main.code and sub.code[:9] == main.code[:9]


def test_licensing_list_layout_matches_department_and_levels(registry_copy, tmp_path, capsys):
    snap, law = _cited_law(registry_copy)
    dept = snap.departments["jiaotong"]
    sheet = tmp_path / "许可.csv"
    _write_csv(sheet, [
        ["序号", "主管部门", "事项名称", "实施机关", "设定和实施依据", "备注"],
        ["1", dept.alt_names[0] if dept.alt_names else dept.name, "许可清单测试事项",
         "省级、设区的市级、县级交通运输主管部门", f"《{law.title}》第十条", ""],
    ])
    code, out, err = run(capsys, registry_copy, "import", str(sheet))
    assert code == 0, out + err
    created = next(p for p in load_snapshot(registry_copy, use_cache=False).powers.values()
                   if p.title == "许可清单测试事项")
    assert created.department == "jiaotong" and created.levels == ["2", "3", "4"]
    assert created.power_type == "01" and created.citations[0].article == 10


def test_enforcement_catalogue_layout_updates_by_code(registry_copy, tmp_path, capsys):
    snap, law = _cited_law(registry_copy)
    p = next(x for x in snap.powers_of_department("jiaotong") if x.in_force)
    sheet = tmp_path / "执法.csv"
    _write_csv(sheet, [
        ["序号", "事项代码", "事项名称", "法律依据", "划转范围", "具体职责边界", "划出部门"],
        ["1", p.code, p.title + "（执法目录）", "\n".join(c.raw_text for c in p.citations),
         "全部划转", "……", snap.departments["jiaotong"].name],
    ])
    code, out, err = run(capsys, registry_copy, "import", str(sheet))
    assert code == 0, out + err
    assert "更新 updated" in out and "[事项名称]" in out
    after = load_snapshot(registry_copy, use_cache=False).powers[p.code]
    assert after.citations == p.citations  # same raw text: the structured citation is kept


def test_fine_ranges_and_levels_are_read_from_official_text():
    codes = Codes(names={"discretion-tier": {"从轻": "lenient", "从重": "severe",
                                             "一般": "ordinary"}},
                  labels={}, stages_of_type={})
    t = tier_from_text("从重：拒不改正的", "处2万元以上5万元以下罚款", codes)
    assert (t.tier, t.fine_min, t.fine_max, t.condition) == ("severe", 20000, 50000, "拒不改正的")
    t = tier_from_text("从轻\n情节轻微", "处违法所得1倍以上2倍以下罚款", codes)
    assert (t.gains_multiple_min, t.gains_multiple_max) == (1.0, 2.0)
    t = tier_from_text("一般：情节一般", "处5000元以上罚款", codes)
    assert (t.fine_min, t.fine_max) == (5000, None)
    assert levels_from_organ("省级人民政府交通运输主管部门；设区的市级、县级人民政府交通运输主管部门") \
        == ["2", "3", "4"]


# --- the whole shipped registry -------------------------------------------------------------

@pytest.mark.corpus
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_whole_registry_round_trips_through_a_spreadsheet(tmp_path, fmt):
    """Export every power, delete every power file, import: every graph is the same."""
    root = tmp_path / "registry"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "shapes", root / "shapes")
    sheet = tmp_path / f"all.{fmt}"
    snap = _export(root, fmt, sheet)
    originals = {p.relative_to(root).as_posix(): p.read_bytes() for p in power_files(root)}
    assert len(originals) == len(snap.powers) >= 4236
    shutil.rmtree(root / "data" / "powers")
    report = import_sheet(root, sheet, use_cache=False)
    assert report.ok, [(r.row, r.messages) for r in report.rows if r.action == "error"][:3]
    assert report.count("created") == len(originals)
    for rel, data in originals.items():
        again = (root / rel).read_bytes()
        # the shipped files are canonical, so the same graph comes back as the same bytes;
        # should the bytes differ, the graphs must still be the same
        if again != data:
            assert isomorphic(to_rdflib(turtle.parse(data)), to_rdflib(turtle.parse(again))), rel
