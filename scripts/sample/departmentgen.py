"""One department's powers: which names, which codes, which statuses.

For each type the department's in-force count is filled from its candidates (names.py):
about one main item in ten gets 2–4 sub-items (a penalty main item gathers acts of one
regulated party; other groups are spelled out in the vocabulary). Records that are no
longer in force (abolished, delegated to cities, merged) take further candidates.
Main items are numbered MMM = 001… per type in vocabulary order, so related items sit
together; abolished items keep their own numbers and no in-force item ever reuses them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .departments import Department
from .laws import Law, law
from .names import Candidate, candidates, group_main_name
from .vocab import Section

TYPE_ORDER = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10")

#: Deciding documents (plausible, synthetic) by status: (document, date).
DECISIONS = {
    "abolished": (("浙政发〔2015〕20号", "2015-06-10"), ("浙政发〔2016〕12号", "2016-03-01"),
                  ("浙政发〔2017〕3号", "2017-01-20"), ("浙政办发〔2018〕47号", "2018-05-20")),
    "abolished-late": (("浙政办发〔2021〕30号", "2021-06-01"), ("浙政办发〔2022〕45号", "2022-07-15"),
                       ("浙政办发〔2023〕12号", "2023-03-20"), ("浙政办发〔2024〕18号", "2024-08-26")),
    "delegated": (("浙政发〔2014〕40号", "2014-12-01"), ("浙政发〔2016〕12号", "2016-03-01"),
                  ("浙政办发〔2017〕81号", "2017-08-15")),
    "merged": (("浙政发〔2016〕12号", "2016-03-01"), ("浙政办发〔2019〕15号", "2019-03-12")),
}


class CapacityError(RuntimeError):
    """The vocabulary cannot yield the requested number of distinct names."""


@dataclass
class Power:
    code: str
    name: str
    type: str
    dept: Department
    section: Section
    status: str = "in-force"
    act: str | None = None
    main_code: str | None = None
    decision: tuple[str, str] | None = None
    successor: str | None = None
    repealed: Law | None = None
    levels: tuple[int, ...] = ()


@dataclass
class _Item:
    main: Candidate
    subs: list[Candidate]
    status: str = "in-force"
    key: tuple[int, int] = (0, 0)
    repealed: Law | None = None


def _levels(rng: random.Random, dept: Department, status: str) -> tuple[int, ...]:
    if dept.level == 3:
        return rng.choice(((3,), (3,), (3, 4)))
    if dept.level == 4:
        return (4,)
    if status == "delegated":
        return rng.choice(((3,), (3, 4)))
    roll = rng.random()
    if roll < 0.05:
        return (7,)
    if roll < 0.27:
        return (2,)
    if roll < 0.45:
        return (2, 3)
    if roll < 0.48:
        return (2, 3, 4, 7)
    return (2, 3, 4)


def _select(rng: random.Random, ordered: list[Candidate], n: int, type_code: str,
            used: set[str], dept: Department) -> list[_Item]:
    items: list[_Item] = []
    records = 0
    want_groups = round(n * 0.105) if n >= 10 else 0
    groups = 0
    if type_code == "02" and want_groups:
        pools: dict[str, list[Candidate]] = {}
        for cand in ordered:
            if cand.pool and cand.name not in used:
                pools.setdefault(cand.pool, []).append(cand)
        for party, members in pools.items():
            if groups >= want_groups or n - records < 3:
                break
            main_name = group_main_name(party)
            k = min(rng.randint(2, 4), len(members), n - records - 1)
            if main_name in used or k < 2:
                continue
            subs = members[:k]
            used.add(main_name)
            used.update(s.name for s in subs)
            main = Candidate(main_name, "02", subs[0].section, act=subs[0].act, pool=party)
            items.append(_Item(main, subs))
            records += 1 + k
            groups += 1
    for cand in ordered:
        if records >= n:
            break
        if cand.name in used:
            continue
        subs: list[Candidate] = []
        if cand.subs:
            k = min(len(cand.subs), n - records - 1)
            if k >= 2 and all(s.name not in used for s in cand.subs[:k]):
                subs = cand.subs[:k]
        used.add(cand.name)
        used.update(s.name for s in subs)
        items.append(_Item(cand, subs))
        records += 1 + len(subs)
    if records < n:
        raise CapacityError(f"{dept.slug}: only {records} of {n} names of type {type_code}")
    return items


def _repealed_sections(sections: list[Section]) -> list[tuple[int, Law]]:
    found = []
    for index, section in enumerate(sections):
        for key in section.laws:
            item = law(key)
            if item.status == "repealed":
                found.append((index, item))
    return found


def generate(rng: random.Random, dept: Department, sections: list[Section],
             counts: dict[str, int], others: int, cover_repealed: bool) -> list[Power]:
    """All powers of one department: ``counts`` in force by type, plus ``others`` not in force."""
    used: set[str] = set()
    chosen: dict[str, list[_Item]] = {}
    leftovers: dict[str, list[Candidate]] = {}
    order_of: dict[str, int] = {}
    for type_code in TYPE_ORDER:
        n = counts.get(type_code, 0)
        cands = candidates(sections, type_code)
        if not cands:
            continue
        for i, cand in enumerate(cands):
            order_of[cand.name] = i
        specific = [c for c in cands if c.specific]
        generic = [c for c in cands if not c.specific]
        rng.shuffle(specific)
        rng.shuffle(generic)
        ordered = [c for c in specific if c.subs] + [c for c in specific if not c.subs] + generic
        chosen[type_code] = _select(rng, ordered, n, type_code, used, dept) if n else []
        leftovers[type_code] = [c for c in ordered if c.name not in used and not c.subs]

    def take(type_code: str, section: int | None = None) -> Candidate | None:
        pool = leftovers.get(type_code, [])
        for i, cand in enumerate(pool):
            if section is None or cand.section == section:
                if cand.name in used:
                    continue
                used.add(cand.name)
                return pool.pop(i)
        return None

    extra: list[_Item] = []
    if cover_repealed:
        for index, repealed in _repealed_sections(sections):
            for type_code in ("02",) + TYPE_ORDER:
                cand = take(type_code, index)
                if cand:
                    extra.append(_Item(cand, [], "abolished", repealed=repealed))
                    break
    weights = [(t, counts.get(t, 0)) for t in TYPE_ORDER if counts.get(t, 0)]
    while len(extra) < others and weights:
        type_code = rng.choices([t for t, _ in weights], [w for _, w in weights])[0]
        cand = take(type_code)
        if cand is None:
            weights = [(t, w) for t, w in weights if t != type_code]
            continue
        roll = rng.random()
        status = "abolished" if roll < 0.55 else "delegated" if roll < 0.8 else "merged"
        if status == "merged" and not chosen.get(type_code):
            status = "abolished"
        extra.append(_Item(cand, [], status))
    for item in extra:
        chosen.setdefault(item.main.type, []).append(item)

    powers: list[Power] = []
    for type_code in TYPE_ORDER:
        items = chosen.get(type_code, [])
        for item in items:
            first = item.subs[0] if item.subs else item.main
            item.key = (first.section, order_of.get(first.name, 0))
        items.sort(key=lambda it: it.key)
        if len(items) > 999:
            raise CapacityError(f"{dept.slug}: more than 999 main items of type {type_code}")
        in_force_mains: dict[int, list[str]] = {}
        pending_merged: list[tuple[Power, _Item]] = []
        for seq, item in enumerate(items, start=1):
            code = f"33{type_code}{dept.code}{seq:03d}000"
            section = sections[item.main.section]
            main = Power(code, item.main.name, type_code, dept, section, item.status,
                         act=item.main.act, repealed=item.repealed)
            main.levels = _levels(rng, dept, item.status)
            if item.status != "in-force":
                pool = "abolished-late" if item.repealed else item.status
                main.decision = rng.choice(DECISIONS[pool])
            if item.status == "merged":
                pending_merged.append((main, item))
            else:
                in_force_mains.setdefault(item.main.section, []).append(code)
            powers.append(main)
            for sub_seq, sub in enumerate(item.subs, start=1):
                sub_power = Power(f"{code[:9]}{sub_seq:03d}", sub.name, type_code, dept,
                                  sections[sub.section], item.status, act=sub.act, main_code=code)
                sub_power.levels = main.levels
                powers.append(sub_power)
        in_force = {p.code for p in powers if p.status == "in-force" and p.type == type_code
                    and p.main_code is None}
        for merged, item in pending_merged:
            same = [c for c in in_force_mains.get(item.main.section, []) if c in in_force]
            anywhere = sorted(in_force)
            merged.successor = rng.choice(same or anywhere)
    return powers
