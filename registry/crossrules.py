"""Layer 4 of validation: rules that hold across the whole registry.

They run over a compact view of each power (``PowerRefs``: its code and the keys it
points at, cached per file apart from the full models, so ``powers check`` of a few files
reads a few megabytes at 40,000 records instead of every model), not over one big graph:
unique codes, references that resolve, code structure, sub-items and their main items,
and citations of amended or repealed laws.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .diagnostics import Diagnostic, error, warning
from .model import Department, Law, Power


class PowerRefs(NamedTuple):
    """What the cross-record rules read of a power."""

    path: str
    code: str
    department: str
    power_type: str
    status: str
    levels: tuple[str, ...]
    service_objects: tuple[str, ...]
    tiers: tuple[str, ...]  # discretion-tier keys
    stages: tuple[str, ...]  # responsibility-stage keys
    citations: tuple[tuple[str, str | None], ...]  # (law id, cited version)
    successors: tuple[str, ...]
    main_item: str | None

    @classmethod
    def of(cls, p: Power) -> PowerRefs:
        return cls(p.path, p.code, p.department, p.power_type, p.status, tuple(p.levels),
                   tuple(p.service_objects), tuple(t.tier for t in p.tiers),
                   tuple(r.stage for r in p.responsibilities),
                   tuple((c.law, c.cited_version) for c in p.citations), tuple(p.successors),
                   p.main_item)

    @property
    def in_force(self) -> bool:
        return self.status == "in-force"


@dataclass
class CrossContext:
    """Everything the rules look at: powers, departments and laws, and the concept keys of
    each scheme."""

    powers: list[PowerRefs]
    departments: list[Department]
    laws: dict[str, Law]
    concepts: dict[str, set[str]]  # scheme name -> concept keys
    line_of: Callable[[str, str], int | None]  # (path, needle) -> line


def check(ctx: CrossContext) -> list[Diagnostic]:
    """Every cross-record diagnostic of the registry."""
    found: list[Diagnostic] = []
    found += _unique_codes(ctx)
    found += _departments(ctx)
    dept_by_slug = {d.slug: d for d in ctx.departments}
    codes = {p.code: p for p in ctx.powers}
    for p in ctx.powers:
        found += _references(ctx, p, dept_by_slug, codes)
    return found


def _unique_codes(ctx: CrossContext) -> list[Diagnostic]:
    by_code: dict[str, list[PowerRefs]] = defaultdict(list)
    for p in ctx.powers:
        by_code[p.code].append(p)
    out = []
    for code, same in by_code.items():
        if len(same) < 2:
            continue
        paths = [p.path for p in same]
        for p in same:
            others = ", ".join(x for x in paths if x != p.path)
            out.append(error(
                "unique-code", p.path,
                f"基本编码 {code} 重复，另见 {others}。/ Code {code} is used twice; see also "
                f"{others}. 修正 Fix: 用 `powers new` 取得下一个空闲编码 / take the next free code "
                "with `powers new`.", line=ctx.line_of(p.path, "pw:code"),
                field="基本编码 / code", value=code))
    return out


def _departments(ctx: CrossContext) -> list[Diagnostic]:
    by_code: dict[str, list[Department]] = defaultdict(list)
    for d in ctx.departments:
        by_code[d.code].append(d)
    out = []
    for code, same in by_code.items():
        if code and len(same) > 1:
            for d in same:
                out.append(error(
                    "unique-department-code", d.path,
                    f"部门代码 {code} 重复（{', '.join(x.slug for x in same)}）。/ Department code "
                    f"{code} is used by more than one department. 修正 Fix: 每个部门用唯一的两位代码 "
                    "/ give each department its own two-digit code.",
                    line=ctx.line_of(d.path, "pw:departmentCode"), field="部门代码 / code"))
    return out


_REFERENCE_FIELDS = (
    # (attribute, scheme, field label, needle)
    ("power_type", "power-type", "事项类型 / type", "pw:powerType"),
    ("status", "status", "状态 / status", "pw:status"),
)
_LIST_FIELDS = (
    ("levels", "exercise-level", "行使层级 / exercise level", "pw:exerciseLevel"),
    ("service_objects", "service-object", "服务对象 / service object", "pw:serviceObject"),
)


def _references(ctx: CrossContext, p: PowerRefs, depts: dict[str, Department],
                codes: dict[str, PowerRefs]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    line = ctx.line_of

    def missing(rule: str, field: str, needle: str, value: str, what_zh: str, what_en: str,
                fix: str) -> None:
        out.append(error(
            rule, p.path, f"{what_zh} {value} 不存在。/ {what_en} {value} does not exist. 修正 Fix: "
            f"{fix}", line=line(p.path, needle), field=field, value=value))

    dept = depts.get(p.department)
    if p.department and dept is None:
        missing("department-ref", "实施主体 / department", "pw:department", p.department,
                "实施主体部门", "Department",
                "使用 data/departments/ 中已有的部门 / use a department of data/departments/.")
    for attr, scheme, label, needle in _REFERENCE_FIELDS:
        value = getattr(p, attr)
        if value and ctx.concepts.get(scheme) is not None and value not in ctx.concepts[scheme]:
            missing("concept-ref", label, needle, value, f"代码表 {scheme} 中的概念",
                    f"Concept of code list {scheme}", f"使用 data/vocabularies/{scheme}.ttl 中的"
                    f"概念 / use a concept of data/vocabularies/{scheme}.ttl.")
    for attr, scheme, label, needle in _LIST_FIELDS:
        for value in getattr(p, attr):
            if ctx.concepts.get(scheme) is not None and value not in ctx.concepts[scheme]:
                missing("concept-ref", label, needle, value, f"代码表 {scheme} 中的概念",
                        f"Concept of code list {scheme}", f"使用 data/vocabularies/{scheme}.ttl "
                        f"中的概念 / use a concept of data/vocabularies/{scheme}.ttl.")
    tiers = ctx.concepts.get("discretion-tier")
    for tier in p.tiers:
        if tiers and tier not in tiers:
            missing("concept-ref", "裁量阶次 / discretion tier", "pw:tier", tier, "裁量阶次",
                    "Discretion tier", "使用 tier: 代码表中的阶次 / use a tier of the tier: list.")
    stages = ctx.concepts.get("responsibility-stage")
    for stage in p.stages:
        if stages and stage not in stages:
            missing("concept-ref", "责任环节 / responsibility stage", "pw:stage", stage,
                    "责任环节", "Responsibility stage",
                    "使用 stage: 代码表中的环节 / use a stage of the stage: list.")
    for law_id, cited_version in p.citations:
        law = ctx.laws.get(law_id)
        if law is None:
            missing("law-ref", "实施依据 / legal basis", f"law:{law_id}", law_id, "所引法律法规",
                    "Cited law", "先在 data/laws/ 中登记该法规，或更正引用 / register the law "
                    "in data/laws/ or correct the citation.")
            continue
        if law.status == "repealed" and p.in_force:
            # a tombstone may rest on a repealed law: that is often why it was abolished
            out.append(warning(
                "law-repealed", p.path,
                f"所引《{law.title}》已废止。/ The cited law {law.id} ({law.title}) is repealed. "
                "修正 Fix: 改引现行有效的依据 / cite the law now in force.",
                line=line(p.path, f"law:{law_id}"), field="实施依据 / legal basis", value=law_id))
        elif cited_version and law.last_amended and cited_version < law.last_amended:
            out.append(warning(
                "law-amended", p.path,
                f"所引《{law.title}》{cited_version} 版本已于 {law.last_amended} 修正，请核对条文。"
                f"/ The cited version {cited_version} of {law.id} was amended on "
                f"{law.last_amended}; check the article. 修正 Fix: 核对条款并更新 pw:citedVersion / "
                "check the provision and update pw:citedVersion.",
                line=line(p.path, f"law:{law_id}"), field="实施依据 / legal basis", value=law_id))
    out += _code_structure(ctx, p, dept, codes)
    for s in p.successors:
        if s not in codes:
            missing("successor-ref", "承继事项 / successor", "pw:successor", s, "承继事项",
                    "Successor power", "指向已登记的权力编码 / point at a registered power.")
    if p.status == "merged" and not p.successors:
        out.append(error(
            "successor-missing", p.path,
            "已合并的事项必须写明承继事项 pw:successor。/ A merged power must name its successor "
            "(pw:successor). 修正 Fix: 加上合并后的事项编码 / add the power it was merged into.",
            line=line(p.path, "pw:status"), field="承继事项 / successor"))
    return out


def _code_structure(ctx: CrossContext, p: PowerRefs, dept: Department | None,
                    codes: dict[str, PowerRefs]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    code = p.code
    if len(code) != 12 or not code.isdigit():
        return out  # the shapes and the file-name rule report malformed codes
    def where() -> int | None:  # looked up only when there is something to report
        return ctx.line_of(p.path, "pw:code")
    if p.power_type and code[2:4] != p.power_type:
        out.append(error(
            "code-type", p.path,
            f"编码第3–4位 {code[2:4]} 应为事项类型代码 {p.power_type}。/ Digits 3–4 of the code "
            f"({code[2:4]}) must be the type code {p.power_type}. 修正 Fix: 更正类型或编码 / "
            "correct the type or the code.", line=where(), field="基本编码 / code", value=code))
    if dept is not None and dept.code and code[4:6] != dept.code:
        out.append(error(
            "code-department", p.path,
            f"编码第5–6位 {code[4:6]} 应为部门代码 {dept.code}。/ Digits 5–6 of the code "
            f"({code[4:6]}) must be the department code {dept.code}. 修正 Fix: 更正部门或编码 / "
            "correct the department or the code.", line=where(), field="基本编码 / code", value=code))
    if code[9:] != "000" and not p.main_item:
        out.append(error(
            "sub-item", p.path,
            f"子项编码 {code} 必须用 pw:mainItem 指向主项 {code[:9]}000。/ Sub-item {code} must "
            f"point at its main item {code[:9]}000 with pw:mainItem. 修正 Fix: 加上 pw:mainItem "
            f"power:{code[:9]}000 / add it.", line=where(), field="所属主项 / main item"))
    if p.main_item:
        main_line = ctx.line_of(p.path, "pw:mainItem")
        if p.main_item[:9] != code[:9] or not p.main_item.endswith("000") or code[9:] == "000":
            out.append(error(
                "sub-item", p.path,
                f"子项 {code} 与主项 {p.main_item} 的前九位不一致。/ Sub-item {code} and its main item "
                f"{p.main_item} must share the first nine digits, and the main item ends in 000. "
                "修正 Fix: 更正子项编码或主项 / correct the code or the main item.",
                line=main_line, field="所属主项 / main item", value=p.main_item))
        elif p.main_item not in codes:
            out.append(error(
                "main-item-ref", p.path,
                f"主项 {p.main_item} 不存在。/ Main item {p.main_item} does not exist. 修正 Fix: "
                "先登记主项 / register the main item first.",
                line=main_line, field="所属主项 / main item", value=p.main_item))
    return out
