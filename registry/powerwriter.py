"""Writing power records: a ``Power`` back to triples, and files written all or nothing.

``power_triples`` is the inverse of ``model.power_from_triples`` for every field the
shapes allow, so a record read, changed and written again differs only where it was
changed. Text goes through the canonical writer (``turtle.serialize``). ``write_files``
writes several files so that either all of them change or none does: each is first
written to a temporary file beside its target, and only when every one is written are
they renamed into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyoxigraph as ox

from . import turtle
from .model import Power
from .namespaces import DCTERMS, DEPT, LAW, POWER, PREFIXES, PW, RDF, XSD
from .source import POWERS_DIR


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _zh(text: str) -> ox.Literal:
    return ox.Literal(text, language="zh")


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(int(value)), datatype=_n(XSD + "integer"))


def _decimal(value: float) -> ox.Literal:
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:f}"
    return ox.Literal(text, datatype=_n(XSD + "decimal"))


def _date(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=_n(XSD + "date"))


def power_triples(p: Power) -> list[ox.Triple]:
    """The triples of a power's record file."""
    s = _n(POWER + p.code)
    out: list[ox.Triple] = []

    def add(subject, pred: str, obj) -> None:
        out.append(ox.Triple(subject, _n(PW + pred if ":" not in pred else pred), obj))

    add(s, RDF + "type", _n(PW + "AdministrativePower"))
    add(s, "code", ox.Literal(p.code))
    if p.title:
        add(s, DCTERMS + "title", _zh(p.title))
    if p.title_en:
        add(s, DCTERMS + "title", ox.Literal(p.title_en, language="en"))
    if p.power_type:
        add(s, "powerType", _n(PREFIXES["ptype"] + p.power_type))
    if p.department:
        add(s, "department", _n(DEPT + p.department))
    if p.handling_unit:
        add(s, "handlingUnit", _zh(p.handling_unit))
    if p.main_item:
        add(s, "mainItem", _n(POWER + p.main_item))
    for lv in p.levels:
        add(s, "exerciseLevel", _n(PREFIXES["level"] + lv))
    if p.status:
        add(s, "status", _n(PREFIXES["status"] + p.status))
    if p.star_rating is not None:
        add(s, "starRating", _int(p.star_rating))
    for so in p.service_objects:
        add(s, "serviceObject", _n(PREFIXES["sobj"] + so))
    if p.statutory_time_limit is not None:
        add(s, "statutoryTimeLimit", _int(p.statutory_time_limit))
    if p.promised_time_limit is not None:
        add(s, "promisedTimeLimit", _int(p.promised_time_limit))
    if p.charges_fee is not None:
        add(s, "chargesFee", ox.Literal("true" if p.charges_fee else "false",
                                        datatype=_n(XSD + "boolean")))
    if p.fee_basis:
        add(s, "feeBasis", _zh(p.fee_basis))
    for c in p.citations:
        b = ox.BlankNode()
        add(s, "legalBasis", b)
        add(b, "order", _int(c.order))
        if c.law:
            add(b, "law", _n(LAW + c.law))
        if c.article is not None:
            add(b, "article", _int(c.article))
        if c.paragraph is not None:
            add(b, "paragraph", _int(c.paragraph))
        if c.item is not None:
            add(b, "item", _int(c.item))
        if c.cited_version:
            add(b, "citedVersion", _date(c.cited_version))
        if c.quote:
            add(b, "quote", _zh(c.quote))
        if c.raw_text:
            add(b, "rawText", _zh(c.raw_text))
    for t in p.tiers:
        b = ox.BlankNode()
        add(s, "discretionTier", b)
        add(b, "order", _int(t.order))
        if t.tier:
            add(b, "tier", _n(PREFIXES["tier"] + t.tier))
        if t.condition:
            add(b, "condition", _zh(t.condition))
        if t.fine_min is not None:
            add(b, "fineMin", _int(t.fine_min))
        if t.fine_max is not None:
            add(b, "fineMax", _int(t.fine_max))
        if t.gains_multiple_min is not None:
            add(b, "gainsMultipleMin", _decimal(t.gains_multiple_min))
        if t.gains_multiple_max is not None:
            add(b, "gainsMultipleMax", _decimal(t.gains_multiple_max))
        if t.measure:
            add(b, "measure", _zh(t.measure))
    for r in p.responsibilities:
        b = ox.BlankNode()
        add(s, "responsibility", b)
        add(b, "order", _int(r.order))
        if r.stage:
            add(b, "stage", _n(PREFIXES["stage"] + r.stage))
        if r.description:
            add(b, "description", _zh(r.description))
    for a in p.accountability:
        add(s, "accountability", _zh(a))
    for a in p.accountability_basis:
        add(s, "accountabilityBasis", _zh(a))
    if p.status_decision:
        add(s, "statusDecision", _zh(p.status_decision))
    if p.status_date:
        add(s, "statusDate", _date(p.status_date))
    for code in p.successors:
        add(s, "successor", _n(POWER + code))
    return out


def power_text(p: Power) -> str:
    """The record file of a power, in the canonical layout."""
    return turtle.serialize(power_triples(p))


def power_path(p: Power) -> str:
    """``data/powers/<department>/<code>.ttl``."""
    return f"{POWERS_DIR}/{p.department}/{p.code}.ttl"


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write root-relative files all or nothing (temporary files, then renames)."""
    root = Path(root)
    staged: list[tuple[str, Path]] = []
    try:
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                       dir=target.parent)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; records are ordinary files
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
