"""Semantic diffs: what changed between two states of the registry, field by field.

Records are compared as data, not as text. Two versions of a record are the same when
their models are equal (the model is built from the graph, so blank-node ids, the order
of statements, prefixes and layout do not count) and their graphs are isomorphic; the
latter is decided on the canonical serialisation (``registry.turtle``), whose output is
a function of the graph alone for the tree-shaped blank nodes records may hold, with
RDFC-1.0 canonicalisation as the fallback. A formatting-only edit is therefore no change.

Each change is a list of ``FieldChange`` with the bilingual labels of
``registry.present.FIELD_LABELS`` and human text on both sides, e.g.
``实施依据 / Legal basis: 《道路运输条例》第二十四条 → 第二十六条``.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pyoxigraph as ox

from .model import Citation, Department, DiscretionTier, Law, Power, Responsibility
from .present import FIELD_LABELS, fine_text, provision_text
from .snapshot import Snapshot
from .turtle import TurtleWriteError, serialize

#: Labels of fields that are not power fields (departments, laws, other statements).
EXTRA_LABELS: dict[str, tuple[str, str]] = {
    "name": ("部门名称", "Name"),
    "name_en": ("英文名称", "English name"),
    "alt_names": ("简称", "Other names"),
    "credit_code": ("统一社会信用代码", "Unified social credit code"),
    "category": ("机构类别", "Category"),
    "short_title": ("简称", "Short title"),
    "level": ("效力层级", "Legal force"),
    "issued_by": ("制定机关", "Issued by"),
    "document_number": ("文号", "Document number"),
    "promulgated": ("公布日期", "Promulgated"),
    "in_force_date": ("施行日期", "In force from"),
    "amendments": ("修正/修订日期", "Amendment dates"),
    "other": ("其他陈述", "Other statements"),
}
_DEPARTMENT_LABELS = {"code": ("部门代码", "Department code"), "title": ("部门名称", "Name")}
_LAW_LABELS = {"title": ("法规名称", "Title"), "status": ("法规状态", "Status")}

#: What a change is called, in both languages.
CHANGE_LABELS: dict[str, str] = {
    "added": "新增 added",
    "removed": "删除 removed",
    "abolished": "取消 abolished",
    "changed": "修改 changed",
    "modified": "修改 modified",
    "moved": "移动 moved",
    "formatting": "仅格式 formatting only",
}
MARKDOWN_LIMIT = 60_000
_CELL = 300  # characters of one value shown in a Markdown table cell


@dataclass
class FieldChange:
    """One field of a record that changed: label and human-readable text before and after."""

    field: str  # key of registry.present.FIELD_LABELS (or EXTRA_LABELS), e.g. "citations"
    label: str  # "实施依据 / Legal basis"
    before: str  # human-readable text, '' if absent
    after: str

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """``实施依据 / Legal basis: 《道路运输条例》第二十四条 → 第二十六条``."""
        return f"{self.label}: {arrow(self.before, self.after)}"


def arrow(before: str, after: str) -> str:
    """``A → B``, leaving out the law title both sides share, ``（无）`` for nothing."""
    if not before:
        return f"（无 none） → {after}"
    if not after:
        return f"{before} → （无 none）"
    if before.startswith("《") and "》" in before:
        head = before[:before.index("》") + 1]
        if after.startswith(head) and len(after) > len(head):
            return f"{before} → {after[len(head):]}"
    return f"{before} → {after}"


def label_of(name: str, table: dict[str, tuple[str, str]] | None = None) -> str:
    zh, en = ((table or {}).get(name) or FIELD_LABELS.get(name) or EXTRA_LABELS.get(name)
              or (name, name))
    return f"{zh} / {en}"


# --- rendering values as text ------------------------------------------------------------

class Labels:
    """Names of the things a record refers to (departments, laws, concepts) in a snapshot."""

    def __init__(self, *snaps: Snapshot):
        self.snaps = [s for s in snaps if s is not None]

    def concept(self, scheme: str, key: str) -> str:
        for s in self.snaps:
            sch = s.schemes.get(scheme)
            if sch and sch.get(key):
                return s.concept_label(scheme, key)
        return key

    def department(self, slug: str) -> str:
        for s in self.snaps:
            d = s.departments.get(slug)
            if d:
                return d.name
        return slug

    def law(self, law_id: str) -> str:
        for s in self.snaps:
            law = s.laws.get(law_id)
            if law:
                return law.short_title or law.title
        return law_id


def _yes_no(v: bool | None) -> str:
    return "" if v is None else ("是 yes" if v else "否 no")


def _citation_base(c: Citation, labels: Labels) -> str:
    return f"《{labels.law(c.law)}》{provision_text(c.article, c.paragraph, c.item)}"


def _citation_aspects(c: Citation) -> dict[str, str]:
    return {"quote": f"：“{c.quote}”" if c.quote else "",
            "raw_text": f"（原文 raw text：{c.raw_text}）" if c.raw_text else "",
            "cited_version": f"（引用版本 cited version {c.cited_version}）" if c.cited_version else ""}


def _tier_base(t: DiscretionTier, labels: Labels) -> str:
    return labels.concept("discretion-tier", t.tier) or t.tier


def _tier_aspects(t: DiscretionTier) -> dict[str, str]:
    gains = ""
    if t.gains_multiple_min is not None or t.gains_multiple_max is not None:
        lo = "" if t.gains_multiple_min is None else f"{t.gains_multiple_min:g}"
        hi = "" if t.gains_multiple_max is None else f"{t.gains_multiple_max:g}"
        gains = f"，违法所得 {lo}—{hi} 倍 / × illegal gains"
    return {"condition": f"：{t.condition}" if t.condition else "",
            "fine": f"，{fine_text(t.fine_min, t.fine_max)}" if (t.fine_min, t.fine_max) != (None, None) else "",
            "gains": gains,
            "measure": f"，{t.measure}" if t.measure else ""}


def _responsibility_base(r: Responsibility, labels: Labels) -> str:
    return labels.concept("responsibility-stage", r.stage) or r.stage


def _responsibility_aspects(r: Responsibility) -> dict[str, str]:
    return {"description": f"：{r.description}" if r.description else ""}


_ITEM_RENDER = {
    "citations": (_citation_base, _citation_aspects),
    "tiers": (_tier_base, _tier_aspects),
    "responsibilities": (_responsibility_base, _responsibility_aspects),
}


def _item_text(name: str, item: Any, labels: Labels, only: set[str] | None = None) -> str:
    base_fn, aspects_fn = _ITEM_RENDER[name]
    aspects = aspects_fn(item)
    return base_fn(item, labels) + "".join(v for k, v in aspects.items() if only is None or k in only)


def _scalar_text(name: str, value: Any, labels: Labels) -> str:
    if value is None or value == "" or value == []:
        return ""
    if name == "power_type":
        return f"{labels.concept('power-type', value)} ({value})"
    if name == "department":
        return f"{labels.department(value)} ({value})"
    if name == "status":
        return labels.concept("status", value)
    if name == "levels":
        return "、".join(labels.concept("exercise-level", v) for v in value)
    if name == "service_objects":
        return "、".join(labels.concept("service-object", v) for v in value)
    if name == "star_rating":
        return f"{'★' * int(value)} ({value})"
    if name == "charges_fee":
        return _yes_no(value)
    if name == "level":  # a law's legal force
        return labels.concept("law-level", value)
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


# --- comparing records -----------------------------------------------------------------

_POWER_FIELDS = [f.name for f in fields(Power) if f.name not in ("path", "code")]


def power_changes(before: Power, after: Power, labels: Labels | None = None,
                  labels_after: Labels | None = None) -> list[FieldChange]:
    """Field by field, what differs between two versions of a power (path not counted)."""
    lb = labels or Labels()
    la = labels_after or lb
    out: list[FieldChange] = []
    for name in _POWER_FIELDS:
        a, b = getattr(before, name), getattr(after, name)
        if a == b:
            continue
        lab = label_of(name)
        if name in _ITEM_RENDER:
            out += _list_item_changes(name, lab, a, b, lb, la)
        elif name in ("accountability", "accountability_basis"):
            gone = [x for x in a if x not in b]
            new = [x for x in b if x not in a]
            out.append(FieldChange(name, lab, "；".join(gone), "；".join(new)))
        else:
            out.append(FieldChange(name, lab, _scalar_text(name, a, lb), _scalar_text(name, b, la)))
    return out


def _list_item_changes(name: str, lab: str, a: list, b: list, lb: Labels, la: Labels) -> list[FieldChange]:
    """Items of an ordered list (citations, tiers, responsibilities) paired by position: for
    a changed pair, the item's head (provision, tier, stage) and the parts that differ."""
    base_fn, aspects_fn = _ITEM_RENDER[name]
    shown = {"quote", "condition", "fine", "description"}
    out = []
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x is None:
            out.append(FieldChange(name, lab, "", _item_text(name, y, la, shown)))
        elif y is None:
            out.append(FieldChange(name, lab, _item_text(name, x, lb, shown), ""))
        elif x != y:
            ax, ay = aspects_fn(x), aspects_fn(y)
            differing = [k for k in ax if ax[k] != ay[k]]
            if "quote" in differing and "raw_text" in differing:
                differing.remove("raw_text")  # the raw text repeats the quote
            before = base_fn(x, lb) + "".join(ax[k] for k in differing)
            after = base_fn(y, la) + "".join(ay[k] for k in differing)
            if before == after:  # only the position (pw:order) or an unshown detail moved
                before, after = f"{before}（第 {x.order} 项 #{x.order}）", f"{after}（第 {y.order} 项 #{y.order}）"
            out.append(FieldChange(name, lab, before, after))
    return out


def record_changes(before: Any, after: Any, labels: Labels | None = None,
                   labels_after: Labels | None = None) -> list[FieldChange]:
    """Field changes of any record model (power, department or law)."""
    if isinstance(before, Power) and isinstance(after, Power):
        return power_changes(before, after, labels, labels_after)
    lb = labels or Labels()
    la = labels_after or lb
    table = _DEPARTMENT_LABELS if isinstance(before, Department) else (
        _LAW_LABELS if isinstance(before, Law) else None)
    out = []
    for f in fields(before):
        if f.name in ("path", "slug", "id"):
            continue
        a, b = getattr(before, f.name), getattr(after, f.name, None)
        if a == b:
            continue
        if isinstance(before, Law) and f.name == "status":
            texts = (lb.concept("law-status", a) if a else "", la.concept("law-status", b) if b else "")
        else:
            texts = (_scalar_text(f.name, a, lb), _scalar_text(f.name, b, la))
        out.append(FieldChange(f.name, label_of(f.name, table), *texts))
    return out


def canonical_text(data: bytes) -> str | None:
    """The canonical Turtle of a file's graph (None when it does not parse)."""
    try:
        triples = [q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE)]
    except SyntaxError:
        return None
    try:
        return serialize(triples)
    except TurtleWriteError:  # shared blank nodes: canonicalise with RDFC-1.0 instead
        ds = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return "\n".join(sorted(str(q) for q in ds))


def _bare(line: str) -> str:
    line = line.rstrip()
    for end in (" ;", " .", ","):
        if line.endswith(end):
            return line[: -len(end)].rstrip()
    return line


def graph_changes(data_before: bytes, data_after: bytes) -> list[FieldChange]:
    """Statements that differ between two files whose models are equal ([] if isomorphic)."""
    if data_before == data_after:
        return []
    a, b = canonical_text(data_before), canonical_text(data_after)
    if a == b:
        return []
    # compare lines without their terminators: adding a statement turns the '.' that ended
    # the one before it into ';', which is not a change of that statement
    a_lines = [_bare(line) for line in (a or "").splitlines()]
    b_lines = [_bare(line) for line in (b or "").splitlines()]
    gone, new = [], []
    for op in difflib.ndiff(a_lines, b_lines):
        if op.startswith("- ") and op[2:].strip():
            gone.append(op[2:].strip())
        elif op.startswith("+ ") and op[2:].strip():
            new.append(op[2:].strip())
    return [FieldChange("other", label_of("other"), "\n".join(gone), "\n".join(new))]


# --- diffs of whole snapshots ------------------------------------------------------------

@dataclass
class PowerChange:
    """One power that differs between two snapshots."""

    code: str
    title: str
    department: str  # slug (after the change; before, for removed)
    department_name: str
    change: str  # added | removed | abolished | changed
    fields: list[FieldChange] = field(default_factory=list)
    path: str = ""  # path after the change (before, for removed)
    old_path: str | None = None  # when the file moved
    status: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RecordChange:
    """A department or law that differs between two snapshots."""

    kind: str  # department | law
    key: str  # slug or law id
    title: str
    change: str  # added | removed | changed
    fields: list[FieldChange] = field(default_factory=list)
    path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SemanticDiff:
    """What changed from snapshot A to snapshot B."""

    base: str | None = None  # revision of A (commit id) or None for the working tree
    head: str | None = None
    added: list[PowerChange] = field(default_factory=list)
    removed: list[PowerChange] = field(default_factory=list)
    abolished: list[PowerChange] = field(default_factory=list)
    changed: list[PowerChange] = field(default_factory=list)
    departments: list[RecordChange] = field(default_factory=list)
    laws: list[RecordChange] = field(default_factory=list)

    @property
    def powers(self) -> list[PowerChange]:
        """Every changed power: abolished, removed, added, then changed, each by code."""
        return self.abolished + self.removed + self.added + self.changed

    def is_empty(self) -> bool:
        return not (self.powers or self.departments or self.laws)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed),
                "abolished": len(self.abolished), "changed": len(self.changed),
                "departments": len(self.departments), "laws": len(self.laws)}

    def to_dict(self) -> dict:
        return {
            "base": self.base, "head": self.head, "counts": self.counts(),
            "added": [c.to_dict() for c in self.added],
            "removed": [c.to_dict() for c in self.removed],
            "abolished": [c.to_dict() for c in self.abolished],
            "changed": [c.to_dict() for c in self.changed],
            "departments": [c.to_dict() for c in self.departments],
            "laws": [c.to_dict() for c in self.laws],
        }

    # --- text ------------------------------------------------------------------------
    def summary(self) -> str:
        c = self.counts()
        return (f"新增 {c['added']} 项，取消 {c['abolished']} 项，删除 {c['removed']} 项，修改 "
                f"{c['changed']} 项；部门 {c['departments']}、法规 {c['laws']} 项变更 / "
                f"{c['added']} added, {c['abolished']} abolished, {c['removed']} removed, "
                f"{c['changed']} changed; {c['departments']} departments and {c['laws']} laws "
                "changed")

    def to_text(self) -> str:
        """Plain text for the terminal: one line per power, one indented line per field."""
        lines = [self.summary()]
        sign = {"added": "+", "removed": "-", "abolished": "×", "changed": "~"}
        for p in self.powers:
            lines.append(f"{sign.get(p.change, '~')} {CHANGE_LABELS[p.change]} {p.code} {p.title}"
                         f" [{p.department_name}]")
            lines += [f"    {fc.summary()}" for fc in p.fields]
        for r in self.departments + self.laws:
            kind = "部门 department" if r.kind == "department" else "法规 law"
            lines.append(f"~ {CHANGE_LABELS.get(r.change, r.change)} {kind} {r.key} {r.title}")
            lines += [f"    {fc.summary()}" for fc in r.fields]
        return "\n".join(lines)

    def to_markdown(self, limit: int = MARKDOWN_LIMIT, full_report: str | None = None) -> str:
        """A pull-request comment: a summary table per department, then one card per power.

        Kept under ``limit`` characters: cards that do not fit are left out and a pointer to
        ``full_report`` (a URL or an instruction) says where to read all of them.
        """
        head = _markdown_head(self)
        pointer = full_report or ("在本地运行 `powers diff --markdown` 查看完整报告 / run "
                                  "`powers diff --markdown` locally for the full report")
        cards = [_power_card(p) for p in self.powers] + \
            [_record_card(r) for r in self.departments + self.laws]
        body: list[str] = []
        size = len(head)
        shown = 0
        for card in cards:
            # room for the truncation notice, which is at most ~400 characters
            if size + len(card) + len(pointer) + 400 > limit:
                break
            body.append(card)
            size += len(card)
            shown += 1
        text = head + "".join(body)
        if shown < len(cards):
            text += (f"\n---\n**还有 {len(cards) - shown} 项变更未显示（评论长度上限 {limit:,} 字符）。"
                     f"/ {len(cards) - shown} more changes are not shown (comment limit {limit:,} "
                     f"characters).** {pointer}\n")
        if len(text) > limit:  # a head alone too large (thousands of departments)
            text = text[:limit - len(pointer) - 20] + f"\n…\n\n{pointer}\n"
        return text


def _md(text: str, cap: int = _CELL) -> str:
    """Text safe inside a Markdown table cell: no pipes, tags or line breaks."""
    text = (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;") \
        .replace(">", "&gt;").replace("\r", " ").replace("\n", "<br>")
    text = text.replace("&lt;br&gt;", "<br>")
    if len(text) > cap:
        text = text[:cap] + "…"
    return text or "—"


def _short(rev: str | None) -> str:
    return rev[:10] if rev else "工作区 working tree"


def _markdown_head(d: SemanticDiff) -> str:
    lines = ["## 权力清单变更 / Changes to the powers list", "",
             f"`{_short(d.base)}` → `{_short(d.head)}`：{d.summary()}", ""]
    if d.is_empty():
        lines += ["没有语义变更（仅格式或无改动）。/ No semantic change (formatting only, or nothing).",
                  ""]
        return "\n".join(lines)
    by_dept: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in d.powers:
        by_dept[(p.department_name, p.department)][p.change] += 1
    if by_dept:
        lines += ["| 部门 Department | 新增 Added | 取消 Abolished | 删除 Removed | 修改 Changed |",
                  "|---|---:|---:|---:|---:|"]
        for (name, slug), n in sorted(by_dept.items(), key=lambda kv: kv[0][1]):
            lines.append(f"| {_md(name)} (`{slug}`) | {n['added']} | {n['abolished']} | "
                         f"{n['removed']} | {n['changed']} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _field_table(changes: list[FieldChange]) -> str:
    if not changes:
        return ""
    rows = ["| 字段 Field | 原 Before | 现 After |", "|---|---|---|"]
    rows += [f"| {_md(fc.label)} | {_md(fc.before)} | {_md(fc.after)} |" for fc in changes]
    return "\n".join(rows) + "\n"


def _power_card(p: PowerChange) -> str:
    where = f"`{p.path}`" + (f"（原 from `{p.old_path}`）" if p.old_path and p.old_path != p.path else "")
    text = (f"\n### {p.code} {_md(p.title, 200)}\n\n**{CHANGE_LABELS[p.change]}** · "
            f"{_md(p.department_name)} · {where}\n\n")
    return text + _field_table(p.fields)


def _record_card(r: RecordChange) -> str:
    kind = "部门 Department" if r.kind == "department" else "法规 Law"
    text = f"\n### {kind} {r.key} {_md(r.title, 200)}\n\n**{CHANGE_LABELS.get(r.change, r.change)}** · `{r.path}`\n\n"
    return text + _field_table(r.fields)


def semantic_diff(snap_a: Snapshot, snap_b: Snapshot) -> SemanticDiff:
    """What changed from ``snap_a`` to ``snap_b``: powers, departments and laws, by field."""
    la, lb = Labels(snap_a, snap_b), Labels(snap_b, snap_a)
    diff = SemanticDiff(base=snap_a.revision, head=snap_b.revision)
    stems_b = {_stem(p) for p in snap_b.files if p.startswith("data/powers/")}
    for code in sorted(set(snap_a.powers) | set(snap_b.powers)):
        a, b = snap_a.powers.get(code), snap_b.powers.get(code)
        if a is None:
            diff.added.append(_power_change(b, "added", lb, fields_=_added_fields(b, lb)))
            continue
        if b is None:
            if code in stems_b:  # the file is still there but unreadable: validation says why
                continue
            diff.removed.append(_power_change(a, "removed", la))
            continue
        fa, fb = snap_a.files.get(a.path), snap_b.files.get(b.path)
        if a.path == b.path and fa is not None and fb is not None and fa.blob == fb.blob:
            continue
        changes = power_changes(a, b, la, lb)
        if not changes and fa is not None and fb is not None:
            changes = graph_changes(fa.data, fb.data)
        if not changes:
            continue
        kind = "abolished" if a.in_force and not b.in_force else "changed"
        pc = _power_change(b, kind, lb, fields_=changes)
        if a.path != b.path:
            pc.old_path = a.path
        getattr(diff, kind).append(pc)
    diff.departments = _record_diffs("department", snap_a.departments, snap_b.departments,
                                     snap_a, snap_b, la, lb)
    diff.laws = _record_diffs("law", snap_a.laws, snap_b.laws, snap_a, snap_b, la, lb)
    return diff


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".ttl")


def _added_fields(p: Power, labels: Labels) -> list[FieldChange]:
    """For a new power, the fields a reviewer checks first."""
    out = []
    for name in ("title", "power_type", "status", "levels"):
        text = _scalar_text(name, getattr(p, name), labels)
        if text:
            out.append(FieldChange(name, label_of(name), "", text))
    for c in p.citations:
        out.append(FieldChange("citations", label_of("citations"), "", _citation_base(c, labels)))
    return out


def _power_change(p: Power, kind: str, labels: Labels, fields_: list[FieldChange] | None = None) -> PowerChange:
    return PowerChange(code=p.code, title=p.title, department=p.department,
                       department_name=labels.department(p.department), change=kind,
                       fields=fields_ or [], path=p.path, status=p.status)


def _record_diffs(kind: str, a: dict, b: dict, snap_a: Snapshot, snap_b: Snapshot,
                  la: Labels, lb: Labels) -> list[RecordChange]:
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        title = (y or x).name if kind == "department" else (y or x).title
        if x is None:
            out.append(RecordChange(kind, key, title, "added", path=y.path))
        elif y is None:
            out.append(RecordChange(kind, key, title, "removed", path=x.path))
        else:
            fx, fy = snap_a.files.get(x.path), snap_b.files.get(y.path)
            if fx is not None and fy is not None and fx.blob == fy.blob:
                continue
            changes = record_changes(x, y, la, lb)
            if not changes and fx is not None and fy is not None:
                changes = graph_changes(fx.data, fy.data)
            if changes:
                out.append(RecordChange(kind, key, title, "changed", changes, path=y.path))
    return out
