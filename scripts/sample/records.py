"""Records as pyoxigraph triples: powers, departments and laws (docs/DATA.md §3–5)."""

from __future__ import annotations

import random
import re

from registry import namespaces as ns

from . import citations as cit
from . import discretion, duties, routing
from .departmentgen import Power
from .departments import Department
from .laws import Law, law
from .rdf import (
    RDF_TYPE,
    BlankNode,
    NamedNode,
    Triple,
    boolean,
    date,
    decimal,
    en,
    integer,
    plain,
    pw,
    term,
    zh,
)
from .titles_en import ENGLISH

_STARS = {"01": (3, 4, 4, 4, 5, 5), "02": (1, 1, 2), "03": (1,), "04": (2, 3), "05": (3, 4, 4),
          "06": (1, 2), "07": (3, 3, 4, 5), "08": (2, 3), "09": (1, 2), "10": (2, 3, 4)}
_OBJECTS = {
    "01": ((2,), (1, 2), (2, 3, 4, 6), (2,), (1, 2)),
    "02": ((1, 2), (2,), (1, 2, 4, 6), (1, 2, 3, 4, 6)),
    "03": ((1, 2), (2,), (1, 2, 6)),
    "04": ((1, 2), (2,), (2, 3, 6)),
    "05": ((1,), (1,), (1, 2)),
    "06": ((2,), (2, 3, 4, 6)),
    "07": ((1,), (1, 2), (2,), (2, 3, 4)),
    "08": ((1, 2), (1, 2, 3, 4)),
    "09": ((1, 2), (1, 2, 3, 4, 6)),
    "10": ((1, 2), (2, 3, 4, 5, 6), (5,)),
}
#: Types that only laws, regulations and rules may set (行政许可法 §17, 行政处罚法 §16,
#: 行政强制法 §10): never cited from a 规范性文件 alone.
_SETTING_TYPES = ("01", "02", "03", "04")
#: Fine ceilings of rules: (maximum, largest minimum) for 部门规章 and 地方政府规章.
_FINE_CAPS = {"M": (100000, 30000), "G": (30000, 10000)}
_STATUTORY = (20, 20, 20, 20, 20, 20, 15, 10, 30, 45, 60)


class LawPicker:
    """Chooses the laws a section's powers cite, so that every law of a section is cited
    as soon as the section has powers enough (primary citations cycle through the
    section's laws first, then favour its first law)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pending: dict[tuple[str, str], list[Law]] = {}

    def _queue(self, key: tuple[str, str], keys: tuple[str, ...]) -> list[Law]:
        if key not in self.pending:
            laws = [law(k) for k in keys if law(k).status != "repealed"]
            self.rng.shuffle(laws)
            self.pending[key] = laws
        return self.pending[key]

    def pick(self, key: tuple[str, str], keys: tuple[str, ...], avoid: Law | None = None) -> Law | None:
        """The next law to cite; None only when a second law (``avoid`` given) is not available."""
        queue = self._queue(key, keys)
        for i, item in enumerate(queue):
            if item is not avoid:
                return queue.pop(i)
        live = [law(k) for k in keys if law(k).status != "repealed" and law(k) is not avoid]
        if not live:
            if avoid is None:
                raise ValueError(f"section {key} has no law in force to cite")
            return None
        weights = [3] + [1] * (len(live) - 1)
        return self.rng.choices(live, weights)[0]

    def has_pending(self, key: tuple[str, str]) -> bool:
        return bool(self.pending.get(key))


def _cited_version(rng: random.Random, item: Law) -> str:
    """The version a citation was checked against: the current text, except that a few
    citations of comprehensively revised laws still point at the pre-revision text."""
    versions = [item.date] + [d for d, _ in item.amendments]
    if item.status == "amended" and len(versions) > 1 and rng.random() < 0.25:
        return versions[-2]
    return versions[-1]


_PROVINCIAL_PREFIX = re.compile(r"^省[^厅局委办]*?(厅|局|委员会|委|办公室)")


def _unit(power: Power) -> str:
    """承办机构: the section's unit; for a city or county department its own name plus the
    section's office (总队 → 支队 / 大队, county 处 → 科)."""
    unit = power.section.unit
    dept = power.dept
    if dept.level == 2:
        return unit
    match = _PROVINCIAL_PREFIX.match(unit)
    tail = (unit[match.end():] if match else "") or unit.removeprefix("省")
    if tail.endswith("局"):
        tail = tail[:-1] + "处"
    if dept.level == 4:
        tail = tail.replace("总队", "大队").replace("处", "科")
    else:
        tail = tail.replace("总队", "支队")
    return dept.zh + tail


def power_triples(rng: random.Random, power: Power, picker: LawPicker) -> list[Triple]:
    s = NamedNode(ns.power_iri(power.code))
    t = power.type
    out: list[Triple] = [
        Triple(s, RDF_TYPE, pw("AdministrativePower")),
        Triple(s, pw("code"), plain(power.code)),
        Triple(s, NamedNode(ns.DCTERMS + "title"), zh(power.name)),
        Triple(s, pw("powerType"), term("ptype", t)),
        Triple(s, pw("department"), NamedNode(ns.department_iri(power.dept.slug))),
        Triple(s, pw("handlingUnit"), zh(_unit(power))),
        Triple(s, pw("status"), term("status", power.status)),
        Triple(s, pw("starRating"), integer(rng.choice(_STARS[t]))),
    ]
    if power.name in ENGLISH:
        out.append(Triple(s, NamedNode(ns.DCTERMS + "title"), en(ENGLISH[power.name])))
    out += [Triple(s, pw("exerciseLevel"), term("level", str(n))) for n in power.levels]
    out += [Triple(s, pw("serviceObject"), term("sobj", str(n)))
            for n in rng.choice(_OBJECTS[t])]
    if power.main_code:
        out.append(Triple(s, pw("mainItem"), NamedNode(ns.power_iri(power.main_code))))
    if t == "01" or (t in ("07", "10") and rng.random() < 0.4):
        statutory = rng.choice(_STATUTORY)
        promised = max(1, round(statutory * rng.choice((0.25, 0.35, 0.5, 0.5, 0.75))))
        out.append(Triple(s, pw("statutoryTimeLimit"), integer(statutory)))
        out.append(Triple(s, pw("promisedTimeLimit"), integer(promised)))
        fee = t == "01" and rng.random() < 0.12
        out.append(Triple(s, pw("chargesFee"), boolean(fee)))
        if fee:
            year, number = rng.randint(2011, 2018), rng.randint(3, 160)
            out.append(Triple(s, pw("feeBasis"), zh(
                f"《浙江省物价局 浙江省财政厅关于{power.name}收费标准的通知》（浙价费〔{year}〕{number}号）")))

    section = power.section
    key = (power.dept.slug, section.unit)
    if power.repealed is not None:
        primary = power.repealed
    else:
        routed = routing.route(section, power.act or power.name, power.status == "in-force")
        if routed is None and section.style == "detention":
            routed = law(section.laws[0])
        primary = routed or picker.pick(key, section.laws)
        assert primary is not None
    second = None
    if t in _SETTING_TYPES and primary.letter == "N":
        # 规范性文件 may not set licences, penalties, coercion or levies: cite a law,
        # regulation or rule for the power and keep the normative document as support.
        setting = [law(k) for k in section.laws if law(k).letter != "N" and law(k).status != "repealed"]
        if setting:
            primary, second = setting[0], primary
    if second is None and len(section.laws) > 1 and (picker.has_pending(key) or rng.random() < 0.45):
        second = picker.pick(key, section.laws, avoid=primary)
    style = "detention" if primary.key == "治安管理处罚法" else (
        "fine" if section.style == "detention" else section.style)
    sanction = cit.sanction(rng, section.scale, style) if t == "02" else None
    if sanction is not None and primary.letter in _FINE_CAPS:
        cap, floor_cap = _FINE_CAPS[primary.letter]
        sanction.hi = min(sanction.hi, cap)
        sanction.lo = min(sanction.lo, floor_cap)
    cites = cit.citations(rng, type_code=t, name=power.name, act=power.act, primary=primary,
                          secondary=second, authority=section.authority, s=sanction,
                          revoke=section.revoke)
    for order, c in enumerate(cites, start=1):
        b = BlankNode()
        out.append(Triple(s, pw("legalBasis"), b))
        out += [Triple(b, pw("order"), integer(order)),
                Triple(b, pw("law"), NamedNode(ns.law_iri(c.law.id))),
                Triple(b, pw("article"), integer(c.article)),
                Triple(b, pw("citedVersion"), date(_cited_version(rng, c.law))),
                Triple(b, pw("quote"), zh(c.quote)),
                Triple(b, pw("rawText"), zh(c.raw_text))]
        if c.paragraph:
            out.append(Triple(b, pw("paragraph"), integer(c.paragraph)))
        if c.item:
            out.append(Triple(b, pw("item"), integer(c.item)))

    if sanction is not None:
        for order, tier in enumerate(discretion.tiers(rng, sanction, section.revoke), start=1):
            b = BlankNode()
            out.append(Triple(s, pw("discretionTier"), b))
            out += [Triple(b, pw("order"), integer(order)),
                    Triple(b, pw("tier"), term("tier", tier.tier)),
                    Triple(b, pw("condition"), zh(tier.condition))]
            if tier.fine_min is not None:
                out.append(Triple(b, pw("fineMin"), integer(tier.fine_min)))
            if tier.fine_max is not None:
                out.append(Triple(b, pw("fineMax"), integer(tier.fine_max)))
            if tier.gains_min is not None and tier.gains_max is not None:
                out.append(Triple(b, pw("gainsMultipleMin"), decimal(tier.gains_min)))
                out.append(Triple(b, pw("gainsMultipleMax"), decimal(tier.gains_max)))
            if tier.measure:
                out.append(Triple(b, pw("measure"), zh(tier.measure)))

    for order, (stage, text) in enumerate(duties.responsibilities(t, power.name), start=1):
        b = BlankNode()
        out.append(Triple(s, pw("responsibility"), b))
        out += [Triple(b, pw("order"), integer(order)),
                Triple(b, pw("stage"), term("stage", stage)),
                Triple(b, pw("description"), zh(text))]
    cases, basis = duties.accountability(rng, t, primary.title, primary.articles)
    out += [Triple(s, pw("accountability"), zh(c)) for c in cases]
    out.append(Triple(s, pw("accountabilityBasis"), zh(basis)))

    if power.decision:
        out.append(Triple(s, pw("statusDecision"), zh(power.decision[0])))
        out.append(Triple(s, pw("statusDate"), date(power.decision[1])))
    if power.successor:
        out.append(Triple(s, pw("successor"), NamedNode(ns.power_iri(power.successor))))
    return out


def department_triples(dept: Department, credit_code: str) -> list[Triple]:
    s = NamedNode(ns.department_iri(dept.slug))
    return [
        Triple(s, RDF_TYPE, NamedNode(ns.ORG + "Organization")),
        Triple(s, RDF_TYPE, pw("Department")),
        Triple(s, NamedNode(ns.SKOS + "prefLabel"), zh(dept.zh)),
        Triple(s, NamedNode(ns.SKOS + "prefLabel"), en(dept.en)),
        Triple(s, NamedNode(ns.SKOS + "altLabel"), zh(dept.alt)),
        Triple(s, NamedNode(ns.SKOS + "notation"), plain(dept.slug)),
        Triple(s, pw("departmentCode"), plain(dept.code)),
        Triple(s, pw("creditCode"), plain(credit_code)),
        Triple(s, pw("category"), zh(dept.category)),
    ]


def law_triples(item: Law) -> list[Triple]:
    s = NamedNode(ns.law_iri(item.id))
    eli = ns.ELI
    out = [
        Triple(s, RDF_TYPE, NamedNode(eli + "LegalResource")),
        Triple(s, RDF_TYPE, pw("Law")),
        Triple(s, NamedNode(eli + "title"), zh(item.title)),
        Triple(s, pw("lawLevel"), term("lawlevel", item.level)),
        Triple(s, pw("issuedBy"), zh(item.issuer)),
        Triple(s, NamedNode(eli + "date_document"), date(item.date)),
        Triple(s, pw("lawStatus"), term("lawstatus", item.status)),
    ]
    if item.short != item.title:
        out.append(Triple(s, NamedNode(eli + "title_short"), zh(item.short)))
    if item.number:
        out.append(Triple(s, pw("documentNumber"), plain(item.number)))
    if item.in_force:
        out.append(Triple(s, NamedNode(eli + "first_date_entry_in_force"), date(item.in_force)))
    out += [Triple(s, pw("amendmentDate"), date(day)) for day, _ in item.amendments]
    return out
