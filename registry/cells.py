"""A power's fields as spreadsheet cell text, both ways.

``power_row`` writes a power as the cells of the project layout (``tables.EXPORT_COLUMNS``)
and the ``parse_*`` functions read the same text back, so that export then import gives
back the same record. Cells are what an officer reads: labels rather than codes
(``行政处罚``, ``省级、市级``), citations as published text, one item a line.

``Codes`` resolves what officers write to concept keys: labels, alternative labels
(``受理责任``), notations (``02``) and the 2014 categories (``非行政许可审批`` → ``10``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from .citations import ParsedCitation, chinese_date, parse_citation
from .model import Citation, DiscretionTier, Power, Responsibility
from .namespaces import PW, SKOS, local_name
from .present import provision_text as provision
from .snapshot import Snapshot

SEP = "、"
TIER_SEP = "｜"
_DASH = re.compile(r"\s*[–—~～-]+\s*")
_KEY_LINE = re.compile(r"^\s*([LARMGN]\d{3})\s*")


class CellError(ValueError):
    """A cell's text cannot be read; the message says what was expected."""


# --- lines inside a cell --------------------------------------------------------------------

def escape_line(text: str) -> str:
    """A value of a multi-line cell: its own line breaks written as ``\\n``."""
    return text.replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n")


def unescape_line(text: str) -> str:
    return re.sub(r"\\(\\|n)", lambda m: "\n" if m.group(1) == "n" else "\\", text)


def join_lines(values: list[str]) -> str:
    return "\n".join(escape_line(v) for v in values)


def split_lines(cell: str) -> list[str]:
    """The non-empty lines of a cell, unescaped."""
    return [unescape_line(s.strip()) for s in cell.replace("\r\n", "\n").split("\n") if s.strip()]


# --- code lists --------------------------------------------------------------------------------

@dataclass
class Codes:
    """What officers write, mapped to concept keys, per code list."""

    names: dict[str, dict[str, str]]  # scheme -> written name -> key
    labels: dict[str, dict[str, str]]  # scheme -> key -> zh label
    stages_of_type: dict[str, list[str]]  # power type -> required stage keys

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> Codes:
        names: dict[str, dict[str, str]] = {}
        labels: dict[str, dict[str, str]] = {}
        for name, scheme in snap.schemes.items():
            table = names.setdefault(name, {})
            labels[name] = {}
            for c in scheme.concepts:
                labels[name][c.key] = c.label
                for written in (c.label, c.notation, c.key, c.label_en):
                    if written:
                        table.setdefault(_norm(written), c.key)
        stages: dict[str, list[str]] = {}
        triples = []
        for src in snap.files.values():
            if src.kind == "vocabulary":
                try:
                    triples += [q.triple for q in ox.parse(src.data, format=ox.RdfFormat.TURTLE)]
                except SyntaxError:
                    continue
        scheme_of = {}
        for t in triples:
            if t.predicate.value == SKOS + "inScheme":
                scheme_of[t.subject.value] = local_name(t.object.value)
        order = {c.key: i for i, c in enumerate(snap.schemes["responsibility-stage"].concepts)} \
            if "responsibility-stage" in snap.schemes else {}
        for t in triples:
            s, p = t.subject.value, t.predicate.value
            scheme = scheme_of.get(s)
            if p == SKOS + "altLabel" and scheme in names:
                names[scheme].setdefault(_norm(t.object.value), local_name(s))
            elif p == PW + "responsibilityStage" and scheme == "power-type":
                stages.setdefault(local_name(s), []).append(local_name(t.object.value))
        # 2014 categories map to national types through skos:exactMatch / skos:broadMatch
        mapped: dict[str, str] = {}
        for t in triples:
            if t.predicate.value in (SKOS + "exactMatch", SKOS + "broadMatch") and \
                    scheme_of.get(t.subject.value) == "power-type-2014":
                mapped[t.subject.value] = local_name(t.object.value)
        if "power-type-2014" in snap.schemes:
            ptypes = names.setdefault("power-type", {})
            for c in snap.schemes["power-type-2014"].concepts:
                if c.iri in mapped:
                    ptypes.setdefault(_norm(c.label), mapped[c.iri])
        ptypes = names.setdefault("power-type", {})
        ptypes.setdefault("其他行政权力", "10")
        for key in list(stages):
            stages[key].sort(key=lambda k: order.get(k, 99))
        # stage labels are also written with 责任: 受理责任
        for key, label in labels.get("responsibility-stage", {}).items():
            names.setdefault("responsibility-stage", {}).setdefault(_norm(label + "责任"), key)
        return cls(names, labels, stages)

    def key(self, scheme: str, written: str) -> str | None:
        """The concept key ``written`` names in ``scheme`` (None if none)."""
        return self.names.get(scheme, {}).get(_norm(written))

    def label(self, scheme: str, key: str) -> str:
        return self.labels.get(scheme, {}).get(key, key)

    def keys_in(self, scheme: str, cell: str) -> tuple[list[str], list[str]]:
        """Every concept named in ``cell`` (labels may hold 、 themselves, so the cell is
        read by longest match, not split), and the parts that named none."""
        table = self.names.get(scheme, {})
        names = sorted(table, key=len, reverse=True)
        text = _norm(cell)
        found: list[str] = []
        unknown: list[str] = []
        pos, junk = 0, ""
        while pos < len(text):
            if text[pos] in "、,，;；/ ":
                if junk:
                    unknown.append(junk)
                    junk = ""
                pos += 1
                continue
            hit = next((n for n in names if text.startswith(n, pos)), None)
            if hit is None:
                junk += text[pos]
                pos += 1
                continue
            if junk:
                unknown.append(junk)
                junk = ""
            if table[hit] not in found:
                found.append(table[hit])
            pos += len(hit)
        if junk:
            unknown.append(junk)
        return found, unknown


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")").lower()


# --- writing ---------------------------------------------------------------------------------

def number_text(value: float | None) -> str:
    """A decimal as its shortest exact text: 1.0 → ``1.0``, 2.5 → ``2.5``."""
    if value is None:
        return ""
    text = repr(float(value))
    return text if "e" not in text else f"{value:f}"


def citation_key_text(c: Citation, law_title: str) -> str:
    """``A012《中华人民共和国道路运输条例》（2023年7月20日版）第六十三条第一款``."""
    version = f"（{chinese_date(c.cited_version)}版）" if c.cited_version else ""
    return f"{c.law}《{law_title}》{version}{provision(c.article, c.paragraph, c.item)}"


def tier_text(t: DiscretionTier, codes: Codes) -> str:
    parts = [codes.label("discretion-tier", t.tier)]
    if t.condition:
        parts.append(f"条件：{t.condition}")
    if t.fine_min is not None or t.fine_max is not None:
        low = "" if t.fine_min is None else str(t.fine_min)
        high = "" if t.fine_max is None else str(t.fine_max)
        parts.append(f"罚款：{low}–{high}元")
    if t.gains_multiple_min is not None or t.gains_multiple_max is not None:
        parts.append(f"倍数：{number_text(t.gains_multiple_min)}–"
                     f"{number_text(t.gains_multiple_max)}")
    if t.measure:
        parts.append(f"措施：{t.measure}")
    return TIER_SEP.join(parts)


def power_row(snap: Snapshot, p: Power, codes: Codes, seq: int) -> dict[str, object]:
    """The cells of one power in the project layout (key → text or number)."""
    dept = snap.departments.get(p.department)

    def law_title(law_id: str) -> str:
        law = snap.laws.get(law_id)
        return law.title if law else law_id

    return {
        "seq": seq,
        "code": p.code,
        "title": p.title,
        "title_en": p.title_en,
        "power_type": codes.label("power-type", p.power_type),
        "department": dept.name if dept else p.department,
        "handling_unit": p.handling_unit,
        "main_item": p.main_item or "",
        "levels": SEP.join(codes.label("exercise-level", k) for k in p.levels),
        "service_objects": SEP.join(codes.label("service-object", k) for k in p.service_objects),
        "star_rating": p.star_rating,
        "statutory_time_limit": p.statutory_time_limit,
        "promised_time_limit": p.promised_time_limit,
        "charges_fee": "" if p.charges_fee is None else ("是" if p.charges_fee else "否"),
        "fee_basis": p.fee_basis,
        "citations": join_lines([c.raw_text or _plain_citation(c, law_title(c.law))
                                 for c in p.citations]),
        "citation_keys": join_lines([citation_key_text(c, law_title(c.law)) for c in p.citations]),
        "citation_quotes": join_lines([c.quote for c in p.citations]),
        "tiers": join_lines([tier_text(t, codes) for t in p.tiers]),
        "responsibilities": join_lines([f"{codes.label('responsibility-stage', r.stage)}："
                                        f"{r.description}" for r in p.responsibilities]),
        "accountability": join_lines(p.accountability),
        "accountability_basis": join_lines(p.accountability_basis),
        "status": codes.label("status", p.status),
        "status_decision": p.status_decision,
        "status_date": p.status_date or "",
        "successors": SEP.join(p.successors),
    }


def _plain_citation(c: Citation, title: str) -> str:
    quote = f"：“{c.quote}”" if c.quote else ""
    return f"《{title}》{provision(c.article, c.paragraph, c.item)}{quote}"


# --- reading ---------------------------------------------------------------------------------

def parse_int(value: object, what: str) -> int | None:
    """An integer cell: 5, 5.0, '5', '５', '5天' → 5; '' → None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(f"应为整数，实为 {value} / expected an integer, got {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(f"应为整数，实为 {value} / expected an integer, got {value}")
    text = str(value).strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    m = re.fullmatch(r"(\d+)(?:\.0+)?\s*(?:个)?(?:工作日|日|天|星|★)?", text)
    if m:
        return int(m.group(1))
    if text and set(text) == {"★"}:
        return len(text)
    raise CellError(f"{what}应为整数，实为“{text}” / {what}: expected an integer, got {text!r}")


def parse_bool(value: object) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("是", "收费", "true", "yes", "y", "1"):
        return True
    if text in ("否", "不收费", "免费", "false", "no", "n", "0"):
        return False
    raise CellError(f"应为“是”或“否”，实为“{value}” / expected 是 or 否, got {value!r}")


def parse_date(value: object) -> str | None:
    """A date cell: a date/datetime, ``2016-03-01``, ``2016/3/1`` or ``2016年3月1日``."""
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        raise CellError(f"应为日期（YYYY-MM-DD），实为“{text}” / expected a date, got {text!r}")
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        raise CellError(f"日期无效：{text} / invalid date {text!r}")
    return f"{y:04d}-{mo:02d}-{d:02d}"


def parse_citation_key(line: str) -> tuple[str | None, Citation, ParsedCitation]:
    """A line of 依据条款 → (law id or None, citation without quote or raw text, what the
    line said)."""
    m = _KEY_LINE.match(line)
    law_id = m.group(1) if m else None
    rest = line[m.end():] if m else line
    parsed = parse_citation(rest)
    return law_id, Citation(order=0, law=law_id or "", article=parsed.article,
                            paragraph=parsed.paragraph, item=parsed.item,
                            cited_version=parsed.version), parsed


def parse_tier(line: str, codes: Codes) -> DiscretionTier:
    parts = [p.strip() for p in line.split(TIER_SEP)]
    head = parts[0]
    if "：" in head and TIER_SEP not in line:
        head, rest = head.split("：", 1)
        parts = [head, f"条件：{rest}"]
    tier = codes.key("discretion-tier", head)
    if tier is None:
        raise CellError(f"未知的裁量阶次“{head}” / unknown discretion tier {head!r}")
    t = DiscretionTier(order=0, tier=tier)
    for part in parts[1:]:
        label, _, value = part.partition("：")
        if label == "条件":
            t.condition = value
        elif label == "罚款":
            t.fine_min, t.fine_max = _range(value.removesuffix("元"), int)
        elif label == "倍数":
            t.gains_multiple_min, t.gains_multiple_max = _range(value.removesuffix("倍"), float)
        elif label == "措施":
            t.measure = value
        else:
            raise CellError(f"裁量基准中未知的部分“{label}” / unknown part {label!r} of a tier")
    return t


def _range(text: str, kind: type) -> tuple:
    low, _, high = _DASH.sub("–", text.strip()).partition("–")
    try:
        return (kind(low) if low.strip() else None, kind(high) if high.strip() else None)
    except ValueError as exc:
        raise CellError(f"范围“{text}”应为 下限–上限 / range {text!r}: expected min–max") from exc


def parse_responsibility(line: str, codes: Codes) -> Responsibility:
    line = re.sub(r"^\s*\d+\s*[.、．]\s*", "", line)
    m = re.match(r"^([^：:]*)([：:])(.*)$", line, re.S)
    head, sep, text = m.groups() if m else (line, "", "")
    stage = codes.key("responsibility-stage", head)
    if stage is None or not sep:
        raise CellError(f"责任事项“{line[:20]}”应写作 环节：内容（如 受理：……）/ a responsibility "
                        f"must read stage: text (e.g. 受理：……)")
    return Responsibility(order=0, stage=stage, description=text.strip())
