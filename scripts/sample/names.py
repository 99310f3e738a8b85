"""Candidate power names, built from a domain's sections.

A candidate is one power's name with what later steps need: the section it belongs to,
the act it punishes (penalties), and, for a candidate main item, the names of its
sub-items. Penalty sub-item groups are formed per regulated party ("对电镀企业违法行为的
处罚" with its specific acts as sub-items); other groups are spelled out in the vocabulary.
Hand-written names come before template-built ones, so smaller samples keep the most
specific names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .vocab import FAMILIES, Section

#: National type notation (GB/T 39046 A.1) → the Section attribute holding its names.
TYPE_FIELDS = {
    "01": "licences", "02": "penalties", "03": "coercion", "04": "levy", "05": "payment",
    "06": "inspection", "07": "confirmation", "08": "reward", "09": "adjudication", "10": "other",
}
TYPE_ZH = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
    "06": "行政检查", "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力",
}


@dataclass
class Candidate:
    name: str
    type: str
    section: int
    act: str | None = None                       # penalties: the act, for quotes
    subs: list[Candidate] = field(default_factory=list)  # explicit sub-items
    pool: str | None = None                      # penalties: regulated party (group key)
    specific: bool = True                        # hand-written (True) or template-built


def penalty_name(act: str) -> str:
    return f"对{act}的处罚"


def candidates(sections: list[Section], type_code: str) -> list[Candidate]:
    """Every distinct candidate of one type, hand-written ones first, in vocabulary order."""
    seen: set[str] = set()
    specific: list[Candidate] = []
    generic: list[Candidate] = []

    def add(target: list[Candidate], cand: Candidate) -> None:
        names = [cand.name] + [s.name for s in cand.subs]
        if any(n in seen for n in names):
            return
        seen.update(names)
        target.append(cand)

    for index, section in enumerate(sections):
        if type_code == "02":
            for act in section.penalties:
                add(specific, Candidate(penalty_name(act), "02", index, act=act))
            for activity, party in section.entities:
                for family in section.families:
                    for template in FAMILIES[family]:
                        act = template.format(a=activity, e=party)
                        add(generic, Candidate(penalty_name(act), "02", index, act=act,
                                               pool=party, specific=False))
            continue
        for entry in getattr(section, TYPE_FIELDS[type_code]):
            if isinstance(entry, tuple):
                main, subs = entry
                add(specific, Candidate(main, type_code, index,
                                        subs=[Candidate(s, type_code, index) for s in subs]))
            else:
                add(specific, Candidate(entry, type_code, index))
        if type_code == "06":
            for _activity, party in section.entities:
                add(generic, Candidate(f"对{party}的监督检查", "06", index, specific=False))
    return specific + generic


def group_main_name(party: str) -> str:
    """The main item over a regulated party's penalty sub-items."""
    return f"对{party}违法行为的处罚"


def capacity(sections: list[Section], type_code: str) -> int:
    """How many distinct records of this type the vocabulary can yield."""
    cands = candidates(sections, type_code)
    total = sum(1 + len(c.subs) for c in cands)
    if type_code == "02":
        total += len({c.pool for c in cands if c.pool})
    return total
