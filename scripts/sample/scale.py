"""What to generate for ``--records N``: the departments, their in-force counts by type
and how many records no longer in force.

- N = 4236: the province exactly as ``departments.SIZES`` says, every law of the catalogue
  cited, one abolished power per repealed law (its citation keeps the repealed law).
- N < 4236: the province scaled down (every department keeps at least one power).
- N > 4236: the full province plus N − 4236 powers of city and county departments
  (``LOCAL``): 11 cities × 公安局, 市场监督管理局, 交通运输局, 综合行政执法局, and 11 county
  departments. Their exercise level is 3 (cities, some 3 and 4) or 4 (counties).

Codes stay unique because a 12-digit code cannot name the implementing body (real lists
tell levels apart by the 31-character 实施编码): every city or county department gets its
own two-digit department code DD from the 55 codes the province leaves free (SS stays 33;
73 and 75 stay reserved). That caps scale mode at 55 local departments; a local
department's size is capped by what its vocabulary can name (about 85% of it), and the
rest is spread over the others. Local departments of a merged sector (市场监督管理局 =
工商 + 质监 + 食药监 + 物价; 综合行政执法局 = the penalties, coercion and inspections of
住建 + 环保 + 水利) draw on all those vocabularies.
"""

from __future__ import annotations

from dataclasses import dataclass

from .departments import SIZES, Department, provincial, type_counts
from .names import TYPE_FIELDS, capacity
from .vocab import DOMAINS, Section

FULL = sum(v[0] for v in SIZES.values())  # 4236

#: (slug prefix, name, English name, area code, weight)
CITIES = (
    ("hz", "杭州市", "Hangzhou", "330100", 1.4), ("nb", "宁波市", "Ningbo", "330200", 1.3),
    ("wz", "温州市", "Wenzhou", "330300", 1.2), ("jx", "嘉兴市", "Jiaxing", "330400", 0.95),
    ("huz", "湖州市", "Huzhou", "330500", 0.85), ("sx", "绍兴市", "Shaoxing", "330600", 1.0),
    ("jh", "金华市", "Jinhua", "330700", 1.0), ("qz", "衢州市", "Quzhou", "330800", 0.75),
    ("zs", "舟山市", "Zhoushan", "330900", 0.7), ("tz", "台州市", "Taizhou", "331000", 1.0),
    ("ls", "丽水市", "Lishui", "331100", 0.75),
)
#: (slug prefix, name, English name, area code, sectors)
COUNTIES = (
    ("yiwu", "义乌市", "Yiwu", "330782", ("gongan", "shichang", "zhifa")),
    ("cixi", "慈溪市", "Cixi", "330282", ("gongan", "shichang")),
    ("yueqing", "乐清市", "Yueqing", "330382", ("gongan", "shichang")),
    ("zhuji", "诸暨市", "Zhuji", "330681", ("gongan", "shichang")),
    ("haining", "海宁市", "Haining", "330481", ("shichang",)),
    ("wenling", "温岭市", "Wenling", "331081", ("shichang",)),
)
#: sector → (name, English name, domains, types allowed or None for all, weight)
SECTORS = {
    "gongan": ("公安局", "Public Security Bureau", ("gongan",), None, 1.1),
    "shichang": ("市场监督管理局", "Administration for Market Regulation",
                 ("gongshang", "zhijian", "shiyao", "wujia"), None, 1.6),
    "jiaotong": ("交通运输局", "Transport Bureau", ("jiaotong",), None, 0.7),
    "zhifa": ("综合行政执法局", "Comprehensive Administrative Law Enforcement Bureau",
              ("zhujian", "huanbao", "shuili"), ("02", "03", "06"), 0.9),
}
COUNTY_WEIGHT = 0.3
RESERVED_CODES = {"73", "75"}


@dataclass
class Plan:
    dept: Department
    sections: list[Section]
    counts: dict[str, int]
    others: int
    cover_repealed: bool = False  # one abolished power per repealed law (full province)


def _largest_remainder(total: int, weights: dict[str, float], minimum: int = 0) -> dict[str, int]:
    keys = list(weights)
    weight_sum = sum(weights.values()) or 1.0
    raw = {k: total * weights[k] / weight_sum for k in keys}
    result = {k: max(minimum, int(raw[k])) for k in keys}
    rest = total - sum(result.values())
    order = sorted(keys, key=lambda k: (-(raw[k] - int(raw[k])), keys.index(k)))
    i = 0
    while rest > 0:
        result[order[i % len(order)]] += 1
        rest -= 1
        i += 1
    while rest < 0:
        for k in sorted(keys, key=lambda k: -result[k]):
            if rest == 0:
                break
            if result[k] > minimum:
                result[k] -= 1
                rest += 1
    return result


def province(records: int) -> tuple[list[Plan], bool]:
    """Plans for the province at ``records`` ≤ 4236 in-force powers; the flag says whether
    repealed laws must each be cited (full size only)."""
    depts = provincial()
    if records < len(depts):
        raise ValueError(f"--records must be at least {len(depts)} (one per department)")
    full = records == FULL
    totals = ({d.slug: SIZES[d.slug][0] for d in depts} if full else
              _largest_remainder(records, {d.slug: SIZES[d.slug][0] for d in depts}, minimum=1))
    others = _largest_remainder(max(3, round(records * 0.015)), {d.slug: float(totals[d.slug]) for d in depts})
    plans = []
    for d in depts:
        counts = type_counts(d.slug)
        if not full:
            counts = {t: c for t, c in _largest_remainder(
                totals[d.slug], {t: float(c) for t, c in counts.items()}).items() if c}
        plans.append(Plan(d, list(DOMAINS[d.slug]), counts, others[d.slug], cover_repealed=full))
    return plans, full


def _local_departments() -> list[tuple[Department, float, tuple[str, ...] | None]]:
    used = {d.code for d in provincial()}
    free = [f"{n:02d}" for n in range(1, 100) if f"{n:02d}" not in used | RESERVED_CODES]
    specs = []
    for prefix, name, english, area, weight in CITIES:
        for sector in ("gongan", "shichang", "jiaotong", "zhifa"):
            specs.append((prefix, name, english, area, sector, weight, 3))
    for prefix, name, english, area, sectors in COUNTIES:
        for sector in sectors:
            specs.append((prefix, name, english, area, sector, COUNTY_WEIGHT, 4))
    if len(specs) > len(free):
        raise ValueError("not enough free department codes for the local departments")
    result = []
    for (prefix, name, english, area, sector, weight, level), code in zip(specs, free, strict=False):
        zh_name, en_name, domains, types, sector_weight = SECTORS[sector]
        english_name = (f"{english} Municipal {en_name}" if level == 3 else f"{english} {en_name}")
        dept = Department(f"{prefix}-{sector}", name + zh_name, english_name,
                          name[:-1] + zh_name, code, "其他", domains, area=area, place=name,
                          level=level)
        result.append((dept, weight * sector_weight, types))
    return result


def _local_split(size: int, shares: dict[str, float], caps: dict[str, int]) -> tuple[dict[str, int], int]:
    counts = _largest_remainder(size, shares)
    excess = 0
    for t in counts:
        if counts[t] > caps[t]:
            excess += counts[t] - caps[t]
            counts[t] = caps[t]
    for t in sorted(counts, key=lambda t: -shares[t]):
        room = caps[t] - counts[t]
        move = min(room, excess)
        counts[t] += move
        excess -= move
    return counts, excess


def local(records: int) -> list[Plan]:
    """Plans for ``records`` in-force powers of city and county departments."""
    specs = _local_departments()
    info = []
    for dept, weight, types in specs:
        sections = [s for slug in dept.domain for s in DOMAINS[slug]]
        allowed = types or tuple(TYPE_FIELDS)
        shares: dict[str, float] = {}
        for slug in dept.domain:
            for t, c in type_counts(slug).items():
                if t in allowed:
                    shares[t] = shares.get(t, 0.0) + c
        caps = {}
        for t in shares:
            cap = capacity(sections, t)
            caps[t] = min(int(cap * 0.88), 1100) if t == "02" else int(cap * 0.85)
        info.append((dept, weight, sections, shares, caps))
    sizes = _largest_remainder(records, {d.slug: w for d, w, *_ in info})
    counts: dict[str, dict[str, int]] = {}
    for _round in range(30):
        overflow = 0
        slack: dict[str, int] = {}
        for dept, _w, _s, shares, caps in info:
            split, extra = _local_split(sizes[dept.slug], shares, caps)
            counts[dept.slug] = split
            sizes[dept.slug] -= extra
            overflow += extra
            slack[dept.slug] = sum(caps.values()) - sizes[dept.slug]
        if not overflow:
            break
        open_ = {d.slug: w for d, w, *_ in info if slack[d.slug] > 0}
        if not open_:
            raise ValueError(f"--records {FULL + records} exceeds what the local vocabularies can name")
        for slug, add in _largest_remainder(overflow, open_).items():
            sizes[slug] += min(add, slack[slug])
            overflow -= min(add, slack[slug])
        if overflow:
            first = next(iter(open_))
            sizes[first] += overflow
    else:
        raise ValueError("could not spread the local records over the local departments")
    plans = []
    for dept, _w, sections, _shares, _caps in info:
        split = {t: c for t, c in counts[dept.slug].items() if c}
        plans.append(Plan(dept, sections, split, round(sum(split.values()) * 0.012)))
    return plans


def plan(records: int) -> tuple[list[Plan], bool]:
    """Every department's plan for ``records`` in-force powers, and whether the full
    province is among them (then every law of the catalogue must be cited)."""
    if records <= FULL:
        return province(records)
    plans, full = province(FULL)
    return plans + local(records - FULL), full
