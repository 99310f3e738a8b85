"""A new power: the next free code and a complete skeleton record.

Codes are ``33 TT DD MMM NNN`` (docs/DATA.md §3). A main item takes the next MMM after the
highest used for that type and department; a sub-item the next NNN under its main item.
"Used" means any code a record has ever had: every file in the working tree, whatever its
status or validity, and — in a git repository — every power file ever deleted, so an
abolished code is never handed out again.

The skeleton holds every field the shapes ask for. Where only a person can supply the
text (handling unit, quoted provision, conditions, responsibilities, accountability) it
holds a ``TODO：…`` marker, which ``validate`` reports as a warning naming the field.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .cells import Codes
from .citations import chinese_date
from .lookup import DepartmentIndex, NotFound, find_law
from .model import Citation, DiscretionTier, Power, Responsibility
from .powerwriter import power_path, power_text, write_files
from .present import provision_text
from .snapshot import Snapshot
from .source import POWERS_DIR, list_data_paths

_CODE_FILE = re.compile(r"(\d{12})\.ttl$")
LOCAL_SOURCE = "33"  # SS of codes the province adds (docs/DATA.md §3)

TODO_HANDLING_UNIT = "TODO：填写承办机构（内设处室）"
TODO_QUOTE = "TODO：核对所引法规和条款，填写条文原文"
TODO_CONDITION = "TODO：填写本阶次的适用条件和罚款幅度"
TODO_RESPONSIBILITY = "TODO：填写{stage}环节的责任内容"
TODO_ACCOUNTABILITY = "TODO：填写追责情形"
DEFAULT_TIERS = ("lenient", "ordinary", "severe")  # 从轻 / 一般 / 从重


class NewRecordError(ValueError):
    """The record cannot be created (unknown department or type, no free code, …)."""


def used_codes(root: Path, snap: Snapshot | None = None) -> set[str]:
    """Every power code the registry has used: files on disk (valid or not), the
    snapshot's records, and power files deleted in git history."""
    codes = set(snap.powers) if snap is not None else set()
    for path in list_data_paths(root):
        if path.startswith(POWERS_DIR + "/"):
            m = _CODE_FILE.search(path)
            if m:
                codes.add(m.group(1))
    codes |= deleted_codes(root)
    return codes


def deleted_codes(root: Path) -> set[str]:
    """Codes of power files deleted in the git history of ``root`` (empty if not git)."""
    if not (Path(root) / ".git").exists():
        return set()
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "log", "--all", "--diff-filter=D", "--name-only",
             "--format=", "--", POWERS_DIR],
            capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {m.group(1) for line in done.stdout.splitlines() if (m := _CODE_FILE.search(line))}


def next_code(used: set[str], power_type: str, dept_code: str, parent: str | None = None) -> str:
    """The next free code for a main item of that type and department, or the next
    sub-item of ``parent``."""
    if parent:
        prefix = parent[:9]
        taken = {int(c[9:]) for c in used if c.startswith(prefix)}
        free = next((n for n in range(max(taken, default=0) + 1, 1000) if n not in taken), None)
        if free is None:
            free = next((n for n in range(1, 1000) if n not in taken), None)
        if free is None:
            raise NewRecordError(f"主项 {parent} 的子项编码已用尽（001–999）。/ No free sub-item "
                                 f"code left under {parent} (001–999).")
        return f"{prefix}{free:03d}"
    prefix = f"{LOCAL_SOURCE}{power_type}{dept_code}"
    taken = {int(c[6:9]) for c in used if c.startswith(prefix)}
    free = next((n for n in range(max(taken, default=0) + 1, 1000)), None)
    if free is None:
        free = next((n for n in range(1, 1000) if n not in taken), None)
    if free is None:
        raise NewRecordError(f"{prefix}… 的主项编码已用尽。/ No free main-item code left for "
                             f"{prefix}.")
    return f"{prefix}{free:03d}000"


@dataclass
class NewRecord:
    power: Power
    path: str
    text: str
    law_guessed: bool  # the citation's law was chosen for the user, not given


def skeleton(snap: Snapshot, root: Path, *, department: str, power_type: str, name: str,
             parent: str | None = None, law: str | None = None, article: int | None = None,
             levels: list[str] | None = None) -> NewRecord:
    """A complete skeleton power with the next free code (nothing is written)."""
    if not name.strip():
        raise NewRecordError("事项名称不能为空。/ The name must not be empty.")
    try:
        dept = DepartmentIndex(snap.departments.values()).find(department)
    except NotFound as exc:
        raise NewRecordError(str(exc)) from exc
    if not dept.code:
        raise NewRecordError(f"部门 {dept.slug} 没有部门代码 pw:departmentCode。/ Department "
                             f"{dept.slug} has no pw:departmentCode.")
    codes = Codes.from_snapshot(snap)
    ptype = codes.key("power-type", power_type)
    if ptype is None:
        known = "、".join(f"{k} {v}" for k, v in codes.labels.get("power-type", {}).items())
        raise NewRecordError(f"未知的事项类型“{power_type}”；可用：{known}。/ Unknown power type "
                             f"{power_type!r}; use a notation or label of the power-type list.")
    main = None
    if parent:
        main = snap.powers.get(parent)
        if main is None:
            raise NewRecordError(f"主项 {parent} 不存在。/ Main item {parent} does not exist.")
        if main.main_item or not parent.endswith("000"):
            raise NewRecordError(f"{parent} 是子项，不能再有子项。/ {parent} is a sub-item; sub-items "
                                 "have no sub-items of their own.")
        if main.department != dept.slug or main.power_type != ptype:
            raise NewRecordError(
                f"主项 {parent} 属于 {main.department}、类型 {main.power_type}，与 --department "
                f"{dept.slug} / --type {ptype} 不符。/ Main item {parent} belongs to "
                f"{main.department} with type {main.power_type}, not {dept.slug} / {ptype}.")
    code = next_code(used_codes(root, snap), ptype, dept.code, parent)
    level_keys = []
    for lv in levels or (main.levels if main else ["2"]):
        key = codes.key("exercise-level", lv)
        if key is None:
            raise NewRecordError(f"未知的行使层级“{lv}”。/ Unknown exercise level {lv!r}.")
        level_keys.append(key)
    citations, guessed = _citations(snap, dept.slug, ptype, main, law, article)
    stages = codes.stages_of_type.get(ptype, [])
    power = Power(
        code=code, title=name.strip(), power_type=ptype, department=dept.slug,
        handling_unit=main.handling_unit if main else TODO_HANDLING_UNIT,
        main_item=parent, levels=level_keys, status="in-force",
        statutory_time_limit=(main.statutory_time_limit if main else None) or
        (20 if ptype == "01" else None),
        citations=citations,
        tiers=[DiscretionTier(order=i, tier=t, condition=TODO_CONDITION)
               for i, t in enumerate(DEFAULT_TIERS, start=1)] if ptype == "02" else [],
        responsibilities=[Responsibility(order=i, stage=s, description=TODO_RESPONSIBILITY.format(
            stage=codes.label("responsibility-stage", s))) for i, s in enumerate(stages, start=1)],
        accountability=[TODO_ACCOUNTABILITY],
    )
    power.path = power_path(power)
    return NewRecord(power=power, path=power.path, text=power_text(power), law_guessed=guessed)


def _citations(snap: Snapshot, dept: str, ptype: str, main: Power | None, law: str | None,
               article: int | None) -> tuple[list[Citation], bool]:
    if main is not None and law is None:
        return [Citation(order=c.order, law=c.law, article=c.article, paragraph=c.paragraph,
                         item=c.item, quote=c.quote, raw_text=c.raw_text,
                         cited_version=c.cited_version) for c in main.citations], False
    guessed = law is None
    if law is not None:
        try:
            chosen = find_law(snap.laws.values(), law)
        except NotFound as exc:
            raise NewRecordError(str(exc)) from exc
    else:
        # the law this department cites most for this type (then for any type)
        counts = Counter(c.law for p in snap.powers_of_department(dept)
                         if p.power_type == ptype for c in p.citations)
        counts = counts or Counter(c.law for p in snap.powers_of_department(dept)
                                   for c in p.citations)
        counts = counts or Counter(c.law for p in snap.powers.values() for c in p.citations)
        ids = [i for i, _ in counts.most_common() if i in snap.laws] or sorted(snap.laws)
        if not ids:
            raise NewRecordError("登记库中没有任何法规，无法写实施依据。/ The registry has no law "
                                 "to cite. 修正 Fix: 先在 data/laws/ 中登记法规 / register one.")
        chosen = snap.laws[ids[0]]
    art = article or 1
    version = chosen.last_amended or chosen.promulgated
    paren = ""
    if chosen.promulgated:
        paren = f"{chinese_date(chosen.promulgated)}公布"
        if chosen.last_amended:
            paren += f"，{chinese_date(chosen.last_amended)}修正"
        paren = f"（{paren}）"
    level = snap.concept_label("law-level", chosen.level) if chosen.level else ""
    raw = (f"{'【' + level + '】' if level else ''}《{chosen.title}》{paren}"
           f"{provision_text(art)}：“{TODO_QUOTE}”")
    return [Citation(order=1, law=chosen.id, article=art, quote=TODO_QUOTE, raw_text=raw,
                     cited_version=version)], guessed


def write_new(root: Path, record: NewRecord) -> Path:
    """Write the skeleton (refusing to overwrite) and return its path."""
    target = Path(root) / record.path
    if target.exists():
        raise NewRecordError(f"{record.path} 已存在。/ {record.path} already exists.")
    write_files(root, {record.path: record.text})
    return target
