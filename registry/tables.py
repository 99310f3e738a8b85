"""Column layouts of the spreadsheets officers exchange (docs: domain.md §8).

Each layout maps header texts (with the spellings seen in practice) to field keys. The
project's own layout, ``权力清单``, holds one row per power with every field, so that a
registry exported to a spreadsheet and imported again gives back the same graph; the
four official layouts hold what the published tables hold and are mapped as far as
their columns go. Headers are matched after ``normalise_header`` (spaces, line breaks,
asterisks, an English part after "/" and full-width brackets do not matter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column: the field key it holds, its Chinese and English headers, other
    spellings accepted on import, its width in a spreadsheet and what a cell holds."""

    key: str
    header: str
    header_en: str
    aliases: tuple[str, ...] = ()
    width: int = 14
    note: str = ""


#: The project's layout, in the order an officer reads a power (see ``FIELD_LABELS``).
EXPORT_COLUMNS: list[Column] = [
    Column("seq", "序号", "No.", width=7),
    Column("code", "基本编码", "Code", ("事项编码", "事项代码", "事项编号", "编码"), 15,
           "12位数字 / 12 digits"),
    Column("title", "事项名称", "Name", ("权力名称", "项目名称", "权力事项名称"), 40),
    Column("title_en", "英文名称", "English name", width=30),
    Column("power_type", "事项类型", "Type", ("权力类型", "权力分类", "事项类别"), 12,
           "如 行政处罚 或 02 / label or notation"),
    Column("department", "实施主体", "Implementing body", ("实施部门", "部门", "主管部门"), 24,
           "部门全称、简称或文件夹名 / department name or folder"),
    Column("handling_unit", "承办机构", "Handling unit", ("内设机构", "承办处室"), 16),
    Column("main_item", "所属主项", "Main item", ("主项编码",), 15, "主项的基本编码 / main item code"),
    Column("levels", "行使层级", "Exercise levels", ("层级",), 18, "如 省级、市级、县级 / labels"),
    Column("service_objects", "服务对象", "Service objects", (), 18),
    Column("star_rating", "网上办理星级", "Online star rating", ("星级",), 8, "1–5"),
    Column("statutory_time_limit", "法定办结时限（工作日）", "Statutory time limit (days)",
           ("法定办结时限", "法定期限"), 10),
    Column("promised_time_limit", "承诺办结时限（工作日）", "Promised time limit (days)",
           ("承诺办结时限", "承诺期限"), 10),
    Column("charges_fee", "是否收费", "Charges a fee", ("收费",), 8, "是 / 否"),
    Column("fee_basis", "收费依据", "Fee basis", (), 24, "每行一条 / one a line"),
    Column("citations", "实施依据", "Legal basis", ("设定依据", "设定和实施依据", "法律依据",
                                                 "处罚依据", "依据"), 60,
           "每行一条，按公布原文 / one citation a line, as published"),
    Column("citation_keys", "依据条款", "Cited provisions", (), 40,
           "每行一条：法规编号《名称》（版本）第X条第X款第（X）项 / law id, title, version, "
           "provision; same order as 实施依据"),
    Column("citation_quotes", "依据条文", "Quoted text", (), 60,
           "每行一条，与实施依据同序 / one a line, same order as 实施依据"),
    Column("tiers", "裁量基准", "Discretion tiers", (), 60,
           "每行一阶：阶次｜条件：…｜罚款：下限–上限元｜倍数：下限–上限｜措施：… / one tier a line"),
    Column("responsibilities", "责任事项", "Responsibilities", (), 60,
           "每行一项：环节：内容 / one a line: stage: text"),
    Column("accountability", "追责情形", "Accountability cases", (), 40, "每行一条 / one a line"),
    Column("accountability_basis", "追责依据", "Accountability basis", (), 30, "每行一条 / one a line"),
    Column("status", "状态", "Status", ("权力状态",), 10, "实施中 / 已取消 / 已下放 / 已合并"),
    Column("status_decision", "决定文件", "Deciding document", (), 20),
    Column("status_date", "决定日期", "Decision date", (), 12, "YYYY-MM-DD"),
    Column("successors", "承继事项", "Successor powers", (), 15, "基本编码，以、分隔 / codes"),
]
EXPORT_KEYS = [c.key for c in EXPORT_COLUMNS]
COLUMN_BY_KEY = {c.key: c for c in EXPORT_COLUMNS}


@dataclass(frozen=True)
class Layout:
    """A table layout: its name, the columns it may have and which it needs."""

    name: str
    name_en: str
    columns: dict[str, tuple[str, ...]]  # key -> header spellings
    required: tuple[str, ...]
    default_type: str | None = None  # national type notation the layout implies
    rows_per_power: bool = False  # several rows describe one power (tiers)
    ignored: tuple[str, ...] = field(default=())  # known columns without a field


def _export_columns() -> dict[str, tuple[str, ...]]:
    return {c.key: (c.header, *c.aliases) for c in EXPORT_COLUMNS}


LAYOUTS: dict[str, Layout] = {
    "权力清单": Layout(
        "权力清单", "power list (this project's layout)", _export_columns(),
        required=("code", "title", "department", "citations")),
    "权责清单": Layout(
        "权责清单", "powers and responsibilities list",
        {"seq": ("序号",), "power_type": ("权力分类", "权力类型", "事项类型"),
         "title": ("项目名称", "事项名称", "权力名称"), "sub_title": ("子项", "子项名称"),
         "citations": ("实施依据", "设定依据"), "responsibilities": ("责任事项",),
         "responsibility_basis": ("责任事项依据",), "accountability": ("追责情形",),
         "accountability_basis": ("追责依据",), "code": ("事项编号", "事项编码", "基本编码"),
         "department": ("实施主体", "部门"), "note": ("备注",)},
        required=("power_type", "title", "citations"),
        ignored=("responsibility_basis", "note")),
    "行政许可事项清单": Layout(
        "行政许可事项清单", "administrative licensing list",
        {"seq": ("序号",), "department": ("主管部门",), "title": ("事项名称", "许可事项名称"),
         "implementing_organ": ("实施机关",), "citations": ("设定和实施依据", "设定依据", "实施依据"),
         "code": ("事项编码", "基本编码"), "note": ("备注",)},
        required=("department", "title", "citations"), default_type="01",
        ignored=("note",)),
    "执法事项目录": Layout(
        "执法事项目录", "enforcement catalogue",
        {"seq": ("序号",), "code": ("事项代码", "事项编码"), "title": ("事项名称",),
         "citations": ("法律依据", "实施依据"), "transfer_scope": ("划转范围",),
         "boundary": ("具体职责边界",), "department": ("划出部门", "实施主体")},
        required=("code", "title", "citations"),
        ignored=("transfer_scope", "boundary")),
    "裁量基准": Layout(
        "裁量基准", "discretion benchmarks",
        {"seq": ("序号",), "code": ("事项代码", "事项编码", "基本编码"), "title": ("事项名称",),
         "citations": ("处罚依据", "法律依据"), "tier_condition": ("阶次及适用条件", "裁量阶次"),
         "tier_range": ("裁量幅度", "处罚幅度"), "tier_source": ("裁量基准来源",)},
        required=("code", "tier_condition", "tier_range"), default_type="02",
        rows_per_power=True, ignored=("tier_source",)),
}

_SPACES = re.compile(r"\s+")


def normalise_header(text: object) -> str:
    """``' 事项名称\\n/ Name *'`` → ``事项名称``; full-width brackets → half-width."""
    if text is None:
        return ""
    s = str(text)
    s = s.split("/")[0] if "/" in s and re.search(r"[\u4e00-\u9fff]", s.split("/")[0]) else s
    s = _SPACES.sub("", s).strip("*＊:：")
    return s.replace("（", "(").replace("）", ")")


def match_columns(layout: Layout, headers: list[object]) -> tuple[dict[str, int], list[str]]:
    """Column index of each key of ``layout`` found in ``headers``, and the headers that
    match no key (reported, not an error)."""
    wanted = {normalise_header(h): key for key, spellings in layout.columns.items()
              for h in spellings}
    found: dict[str, int] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        n = normalise_header(h)
        if not n:
            continue
        key = wanted.get(n)
        if key is None:
            unknown.append(str(h).strip())
        elif key not in found:
            found[key] = i
    return found, unknown


def detect_layout(headers: list[object]) -> Layout | None:
    """The layout whose required columns are all present and which matches most headers
    (the project layout wins ties: it is the most specific)."""
    best, best_score = None, -1
    for layout in LAYOUTS.values():
        found, _ = match_columns(layout, headers)
        if not all(k in found for k in layout.required):
            continue
        score = len(found)
        if score > best_score:
            best, best_score = layout, score
    return best
