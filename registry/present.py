"""How records are shown: bilingual field labels and display dicts, shared by every front end.

The CLI, the site and the API all take a power's display dict from here, so a page, a
JSON response and ``powers show`` never disagree.
"""

from __future__ import annotations

from .jsonld import dumps, to_jsonld
from .model import Power
from .snapshot import Snapshot
from .turtle import parse

#: Field → (中文, English), in the order an officer reads a record.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "code": ("基本编码", "Code"),
    "title": ("事项名称", "Name"),
    "title_en": ("英文名称", "English name"),
    "power_type": ("事项类型", "Type"),
    "department": ("实施主体", "Implementing body"),
    "handling_unit": ("承办机构", "Handling unit"),
    "main_item": ("所属主项", "Main item"),
    "levels": ("行使层级", "Exercise levels"),
    "status": ("状态", "Status"),
    "star_rating": ("网上办理星级", "Online star rating"),
    "service_objects": ("服务对象", "Service objects"),
    "statutory_time_limit": ("法定办结时限（工作日）", "Statutory time limit (working days)"),
    "promised_time_limit": ("承诺办结时限（工作日）", "Promised time limit (working days)"),
    "charges_fee": ("是否收费", "Charges a fee"),
    "fee_basis": ("收费依据", "Fee basis"),
    "citations": ("实施依据", "Legal basis"),
    "tiers": ("裁量基准", "Discretion tiers"),
    "responsibilities": ("责任事项", "Responsibilities"),
    "accountability": ("追责情形", "Accountability cases"),
    "accountability_basis": ("追责依据", "Accountability basis"),
    "status_decision": ("决定文件", "Deciding document"),
    "status_date": ("决定日期", "Decision date"),
    "successors": ("承继事项", "Successor powers"),
}

CN_NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """63 → 六十三 (for 第六十三条); numbers up to 9,999."""
    if n < 10:
        return CN_NUMERALS[n]
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out, zero = "", False
    for value, unit in units:
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out += "零"
                zero = False
            out += ("" if (value == 10 and digit == 1 and not out) else CN_NUMERALS[digit]) + unit
        elif out:
            zero = True
    if n:
        out += ("零" if zero else "") + CN_NUMERALS[n]
    return out


def label(field: str) -> str:
    """``基本编码 / Code``."""
    zh, en = FIELD_LABELS.get(field, (field, field))
    return f"{zh} / {en}"


def provision_text(article: int | None, paragraph: int | None = None, item: int | None = None) -> str:
    """第六十三条第一款第（二）项; an item is written even without a paragraph (第二十条第（八）项)."""
    text = f"第{chinese_number(article)}条" if article else ""
    if paragraph:
        text += f"第{chinese_number(paragraph)}款"
    if item:
        text += f"第（{chinese_number(item)}）项"
    return text


def fine_text(low: int | None, high: int | None) -> str:
    """Fine range in 元, with 万 for round amounts: 1万元—5万元."""
    def yuan(v: int) -> str:
        return f"{v // 10000:,}万元" if v >= 10000 and v % 10000 == 0 else f"{v:,}元"
    if low is None and high is None:
        return ""
    if low is None or low == 0:
        return f"{yuan(high)}以下" if high else "不予罚款"
    if high is None:
        return f"{yuan(low)}以上"
    return f"{yuan(low)}—{yuan(high)}"


def power_dict(snap: Snapshot, p: Power) -> dict:
    """The display dict of a power: every field plus the labels its codes stand for."""
    data = p.to_dict()
    dept = snap.departments.get(p.department)
    data["department_name"] = dept.name if dept else p.department
    data["department_name_en"] = dept.name_en if dept else ""
    data["power_type_label"] = snap.concept_label("power-type", p.power_type)
    data["power_type_label_en"] = snap.concept_label("power-type", p.power_type, "en")
    data["status_label"] = snap.concept_label("status", p.status)
    data["status_label_en"] = snap.concept_label("status", p.status, "en")
    data["level_labels"] = [snap.concept_label("exercise-level", lv) for lv in p.levels]
    data["service_object_labels"] = [snap.concept_label("service-object", s)
                                     for s in p.service_objects]
    for c in data["citations"]:
        law = snap.laws.get(c["law"])
        c["law_title"] = law.title if law else c["law"]
        c["law_level"] = snap.concept_label("law-level", law.level) if law else ""
        c["provision"] = provision_text(c["article"], c["paragraph"], c["item"])
    for t in data["tiers"]:
        t["tier_label"] = snap.concept_label("discretion-tier", t["tier"])
        t["fine_text"] = fine_text(t["fine_min"], t["fine_max"])
    for r in data["responsibilities"]:
        r["stage_label"] = snap.concept_label("responsibility-stage", r["stage"])
    return data


def power_fields(snap: Snapshot, p: Power) -> list[tuple[str, str]]:
    """(label, text) pairs for a plain-text view of a power."""
    d = power_dict(snap, p)
    rows = [
        (label("code"), p.code),
        (label("title"), p.title + (f" / {p.title_en}" if p.title_en else "")),
        (label("power_type"), f"{d['power_type_label']} ({p.power_type})"),
        (label("department"), f"{d['department_name']} ({p.department})"),
        (label("handling_unit"), p.handling_unit),
        (label("levels"), "、".join(d["level_labels"])),
        (label("status"), d["status_label"]),
    ]
    if p.main_item:
        rows.append((label("main_item"), p.main_item))
    if p.star_rating:
        rows.append((label("star_rating"), "★" * p.star_rating))
    if p.statutory_time_limit:
        rows.append((label("statutory_time_limit"), str(p.statutory_time_limit)))
    for c in d["citations"]:
        rows.append((label("citations"), f"《{c['law_title']}》{c['provision']}：{c['quote']}"))
    for t in d["tiers"]:
        rows.append((label("tiers"), f"{t['tier_label']}：{t['condition']} {t['fine_text']}"))
    for r in d["responsibilities"]:
        rows.append((label("responsibilities"), f"{r['stage_label']}：{r['description']}"))
    for a in p.accountability:
        rows.append((label("accountability"), a))
    if not p.in_force:
        rows.append((label("status_decision"), f"{p.status_decision} {p.status_date or ''}"))
        for s in p.successors:
            rows.append((label("successors"), s))
    return rows


def jsonld(snap: Snapshot, path: str) -> str:
    """The JSON-LD text of one record file."""
    return dumps(to_jsonld(parse(snap.files[path].data)))
