"""Penalty discretion tiers (行政处罚裁量基准): 3–5 ordered tiers within the statutory range.

Tiers are a subset, in order, of 不予处罚 / 减轻 / 从轻 / 一般 / 从重 (domain.md §7). 从轻,
一般 and 从重 divide the statutory range at about 30% and 70%, rounded to amounts a
discretion table would print; 减轻 lies below the statutory minimum (so it is only offered
when the statute sets one); 不予处罚 carries no fine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .chinese import money, numeral
from .citations import Sanction

_CONDITIONS = {
    "none": ("违法行为轻微并及时改正，没有造成危害后果的",
             "初次违法且危害后果轻微并及时改正的",
             "当事人有证据足以证明没有主观过错的"),
    "mitigated": ("主动消除或者减轻违法行为危害后果的",
                  "受他人胁迫或者诱骗实施违法行为的",
                  "主动供述行政机关尚未掌握的违法行为的",
                  "配合行政机关查处违法行为有立功表现的"),
    "lenient": ("初次违法，违法行为持续时间较短，危害后果较轻的",
                "违法行为情节轻微，经责令改正后及时改正的",
                "积极配合调查，如实陈述违法事实并主动提供证据材料的",
                "违法行为涉及范围较小，社会影响较轻的"),
    "ordinary": ("不具有从轻、减轻或者从重处罚情节的",
                 "违法行为持续时间较长或者涉及范围较广的",
                 "违法行为造成一定危害后果，经责令改正后改正的"),
    "severe": ("拒不改正或者在责令改正期限内未改正的",
               "一年内因同一违法行为受过行政处罚的",
               "造成严重危害后果或者恶劣社会影响的",
               "伪造、隐匿、毁灭证据或者以暴力、威胁方法阻碍执法的",
               "在发生自然灾害、事故灾难等突发事件期间实施违法行为的"),
}

_SETS = (
    ("lenient", "ordinary", "severe"),
    ("lenient", "ordinary", "severe"),
    ("none", "lenient", "ordinary", "severe"),
    ("none", "lenient", "ordinary", "severe"),
    ("mitigated", "lenient", "ordinary", "severe"),
    ("none", "mitigated", "lenient", "ordinary", "severe"),
    ("none", "ordinary", "severe"),
)


@dataclass
class Tier:
    tier: str
    condition: str
    fine_min: int | None = None
    fine_max: int | None = None
    gains_min: float | None = None
    gains_max: float | None = None
    measure: str | None = None


def _nice(x: float) -> int:
    """Round to an amount a discretion table would print: a multiple of half the leading power
    of ten (12,500 → 10,000; 23,000 → 25,000; 1,700 → 1,500)."""
    if x <= 0:
        return 0
    step = 1
    while step * 10 <= x:
        step *= 10
    half = max(step // 2, 1)
    return max(half, int(round(x / half)) * half)


def _cut(lo: int, hi: int, share: float) -> int:
    value = _nice(lo + (hi - lo) * share)
    return min(max(value, lo), hi)


def tiers(rng: random.Random, s: Sanction, revoke: str) -> list[Tier]:
    options = [t for t in _SETS if "mitigated" not in t or s.lo > 0]
    chosen = rng.choice(options)
    cut1, cut2 = _cut(s.lo, s.hi, 0.3), _cut(s.lo, s.hi, 0.7)
    if not s.lo < cut1 < cut2 < s.hi:
        cut1, cut2 = s.lo + (s.hi - s.lo) // 3, s.lo + 2 * (s.hi - s.lo) // 3
    result: list[Tier] = []
    for name in chosen:
        conditions = _CONDITIONS[name]
        count = 2 if len(conditions) > 2 and rng.random() < 0.4 else 1
        condition = "；或者".join(rng.sample(conditions, count))
        tier = Tier(name, condition)
        if name == "none":
            tier.measure = "不予行政处罚，责令改正并予以批评教育"
        elif s.style == "detention":
            assert s.detention is not None
            d1, d2 = s.detention
            if name in ("mitigated", "lenient"):
                tier.fine_max = s.warning_max
                tier.measure = f"处警告或者{money(s.warning_max)}以下罚款"
            elif name == "ordinary":
                tier.fine_max = s.hi // 2
                tier.measure = f"处{numeral(d1)}日以上{numeral((d1 + d2) // 2)}日以下拘留，可以并处罚款"
            else:
                tier.fine_min, tier.fine_max = s.hi // 2, s.hi
                tier.measure = f"处{numeral((d1 + d2) // 2)}日以上{numeral(d2)}日以下拘留，可以并处罚款"
        else:
            if name == "mitigated":
                tier.fine_min, tier.fine_max = _nice(s.lo * 0.2), _nice(s.lo * 0.6)
                if tier.fine_max >= s.lo:
                    tier.fine_max = max(tier.fine_min, s.lo // 2)
            elif name == "lenient":
                tier.fine_min, tier.fine_max = s.lo, cut1
            elif name == "ordinary":
                tier.fine_min, tier.fine_max = cut1, cut2
            else:
                tier.fine_min, tier.fine_max = cut2, s.hi
            if tier.fine_min == 0:
                tier.fine_min = None
            if s.style == "gains" and s.gains and name != "mitigated":
                g1, g2 = s.gains
                span = g2 - g1
                bounds = {"lenient": (g1, g1 + 0.3 * span), "ordinary": (g1 + 0.3 * span, g1 + 0.7 * span),
                          "severe": (g1 + 0.7 * span, g2)}[name]
                tier.gains_min, tier.gains_max = round(bounds[0], 1), round(bounds[1], 1)
                tier.measure = "没收违法所得"
            if name == "severe" and revoke and rng.random() < 0.3:
                tier.measure = (tier.measure + "；" if tier.measure else "") + f"情节严重的，吊销{revoke}"
            elif name == "lenient" and tier.measure is None and rng.random() < 0.3:
                tier.measure = "责令限期改正"
        result.append(tier)
    return result
