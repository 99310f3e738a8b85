"""Orchestration: plan, generate, write, and the printed summary."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import departmentgen, records, scale, writer
from .departments import credit_codes
from .laws import CATALOGUE
from .names import TYPE_ZH

SEED = 20140625  # the day the list was published


@dataclass
class Summary:
    records: int
    in_force: int = 0
    statuses: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    departments: dict[str, int] = field(default_factory=dict)
    department_count: int = 0
    laws: int = 0
    sub_items: int = 0
    mains_with_subs: int = 0
    mains: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"powers in force: {self.in_force}  (+ {sum(self.statuses.values()) - self.in_force} not in force: "
               + ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()) if k != "in-force") + ")",
               f"departments: {self.department_count}   laws written (all cited): {self.laws}",
               f"main items: {self.mains}, with sub-items: {self.mains_with_subs}, sub-items: {self.sub_items}",
               "assumed type split of the in-force powers (national type code):"]
        for t in sorted(self.types):
            n = self.types[t]
            out.append(f"  {t} {TYPE_ZH[t]:<8} {n:5d}  {100 * n / self.in_force:5.1f}%")
        out.append("department sizes (in force):")
        row = []
        for slug, n in sorted(self.departments.items(), key=lambda kv: -kv[1]):
            row.append(f"{slug} {n}")
            if len(row) == 6:
                out.append("  " + ", ".join(row))
                row = []
        if row:
            out.append("  " + ", ".join(row))
        out.append(f"written in {self.seconds:.1f} s")
        return out


def run(root: Path, n_records: int, seed: int = SEED) -> Summary:
    """Generate the registry for ``n_records`` in-force powers into ``root``."""
    started = time.perf_counter()
    plans, full = scale.plan(n_records)
    depts = [p.dept for p in plans]
    codes = credit_codes(depts, random.Random(f"{seed}:credit-codes"))
    writer.reset(root)
    summary = Summary(n_records, department_count=len(depts))
    cited: set[str] = set()
    for plan in plans:
        rng = random.Random(f"{seed}:{plan.dept.slug}")
        powers = departmentgen.generate(rng, plan.dept, plan.sections, plan.counts, plan.others,
                                        plan.cover_repealed)
        picker = records.LawPicker(rng)
        writer.write(root / "data" / "departments" / f"{plan.dept.slug}.ttl",
                     records.department_triples(plan.dept, codes[plan.dept.slug]))
        folder = root / "data" / "powers" / plan.dept.slug
        for power in powers:
            triples = records.power_triples(rng, power, picker)
            cited.update(t.object.value.rsplit("/", 1)[-1] for t in triples
                         if t.predicate.value.endswith("/def/law"))
            writer.write(folder / f"{power.code}.ttl", triples)
            summary.statuses[power.status] += 1
            if power.status == "in-force":
                summary.in_force += 1
                summary.types[power.type] += 1
                summary.departments[plan.dept.slug] = summary.departments.get(plan.dept.slug, 0) + 1
            if power.main_code:
                summary.sub_items += 1
            else:
                summary.mains += 1
        summary.mains_with_subs += len({p.main_code for p in powers if p.main_code})
    by_id = {item.id: item for item in CATALOGUE.values()}
    missing = sorted(set(by_id) - cited)
    if full and missing:
        raise RuntimeError(f"laws never cited: {', '.join(missing)}")
    for law_id in sorted(cited):
        writer.write(root / "data" / "laws" / f"{law_id}.ttl", records.law_triples(by_id[law_id]))
    summary.laws = len(cited)
    if summary.in_force != n_records:
        raise RuntimeError(f"generated {summary.in_force} powers in force, expected {n_records}")
    summary.seconds = time.perf_counter() - started
    return summary
