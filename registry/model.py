"""The registry's records as plain Python objects, read from their triples.

One set of dataclasses serves every front end: the site renders them, the API returns
their ``to_dict()``, search indexes them. They are built from a file's triples by
``from_triples`` functions below and never hold rdflib or pyoxigraph objects, so they
pickle into the cache and cross process boundaries cheaply.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import pyoxigraph as ox

from .namespaces import DCTERMS, DEPT, ELI, LAW, POWER, PREFIXES, PW, RDF, SKOS, local_name

RDF_TYPE = RDF + "type"


@dataclass
class Citation:
    """实施依据: one legal-basis citation down to 条/款/项, with its quoted text."""

    order: int
    law: str  # law id, e.g. "A012"
    article: int | None
    paragraph: int | None = None
    item: int | None = None
    quote: str = ""
    raw_text: str = ""
    cited_version: str | None = None

    @property
    def provision_path(self) -> str:
        """``article/63/paragraph/1``: the provision's path below its law's IRI."""
        parts = []
        for name, value in (("article", self.article), ("paragraph", self.paragraph),
                            ("item", self.item)):
            if value is None:
                break
            parts.append(f"{name}/{value}")
        return "/".join(parts)


@dataclass
class DiscretionTier:
    """裁量阶次: a discretion tier with its conditions and range."""

    order: int
    tier: str  # concept local name: none | mitigated | lenient | ordinary | severe
    condition: str = ""
    fine_min: int | None = None
    fine_max: int | None = None
    gains_multiple_min: float | None = None
    gains_multiple_max: float | None = None
    measure: str = ""


@dataclass
class Responsibility:
    """责任事项: one responsibility stage and what it requires."""

    order: int
    stage: str  # concept local name, e.g. "acceptance"
    description: str = ""


@dataclass
class Power:
    """An administrative power (行政权力事项), as one record file states it."""

    code: str
    title: str
    title_en: str = ""
    power_type: str = ""  # national type notation, e.g. "02"
    department: str = ""  # department slug
    handling_unit: str = ""
    main_item: str | None = None  # code of the main item, for sub-items
    levels: list[str] = field(default_factory=list)  # exercise-level notations
    status: str = ""  # in-force | abolished | delegated | merged
    star_rating: int | None = None
    service_objects: list[str] = field(default_factory=list)
    statutory_time_limit: int | None = None
    promised_time_limit: int | None = None
    charges_fee: bool | None = None
    fee_basis: str = ""
    citations: list[Citation] = field(default_factory=list)
    tiers: list[DiscretionTier] = field(default_factory=list)
    responsibilities: list[Responsibility] = field(default_factory=list)
    accountability: list[str] = field(default_factory=list)
    accountability_basis: list[str] = field(default_factory=list)
    status_decision: str = ""
    status_date: str | None = None
    successors: list[str] = field(default_factory=list)
    path: str = ""

    @property
    def iri(self) -> str:
        return POWER + self.code

    @property
    def in_force(self) -> bool:
        return self.status == "in-force"

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field (the shape of the API's power object)."""
        # a shallow copy per level: dataclasses.asdict deep-copies and costs 4x as much
        data = dict(self.__dict__)
        for name in ("citations", "tiers", "responsibilities"):
            data[name] = [dict(item.__dict__) for item in data[name]]
        for name in ("levels", "service_objects", "accountability", "accountability_basis",
                     "successors"):
            data[name] = list(data[name])
        data["iri"] = self.iri
        return data


@dataclass
class Department:
    """实施主体: a provincial department."""

    slug: str
    name: str
    name_en: str = ""
    alt_names: list[str] = field(default_factory=list)
    code: str = ""  # DD of its power codes
    credit_code: str = ""
    category: str = ""
    path: str = ""

    @property
    def iri(self) -> str:
        return DEPT + self.slug

    def to_dict(self) -> dict:
        data = asdict(self)
        data["iri"] = self.iri
        return data


@dataclass
class Law:
    """A law, regulation, rule or normative document cited by powers."""

    id: str
    title: str
    short_title: str = ""
    level: str = ""  # law-level local name
    issued_by: str = ""
    document_number: str = ""
    promulgated: str | None = None
    in_force_date: str | None = None
    amendments: list[str] = field(default_factory=list)
    status: str = ""  # in-force | amended | repealed
    path: str = ""

    @property
    def iri(self) -> str:
        return LAW + self.id

    @property
    def last_amended(self) -> str | None:
        return max(self.amendments) if self.amendments else None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["iri"] = self.iri
        return data


@dataclass
class Concept:
    """A SKOS concept of one of the code lists."""

    iri: str
    scheme: str  # scheme IRI
    notation: str
    label: str
    label_en: str = ""
    definition: str = ""
    definition_en: str = ""
    order: int | None = None

    @property
    def key(self) -> str:
        """The local name used in records and URLs (``02``, ``in-force``)."""
        return local_name(self.iri)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["key"] = self.key
        return data


@dataclass
class ConceptScheme:
    """A SKOS concept scheme (a code list) and its concepts in order."""

    iri: str
    label: str
    label_en: str = ""
    source: str = ""
    concepts: list[Concept] = field(default_factory=list)

    @property
    def name(self) -> str:
        return local_name(self.iri)

    def get(self, key: str) -> Concept | None:
        """The concept with this key (``02``, ``in-force``), or None."""
        index = self.__dict__.get("_index")
        if index is None or len(index) != len(self.concepts):
            index = self.__dict__["_index"] = {c.key: c for c in self.concepts}
        return index.get(key)


# --- reading triples ------------------------------------------------------------------

class _Node:
    """The predicate → objects table of one subject, with typed accessors."""

    __slots__ = ("table", "values")

    def __init__(self, table: dict, subject: object):
        self.table = table
        self.values: dict[str, list] = table.get(subject, {})

    def all(self, pred: str) -> list:
        return self.values.get(pred, [])

    def text(self, pred: str, lang: str | None = "zh") -> str:
        """The literal of ``pred`` in ``lang`` (any literal if none has that language)."""
        objs = [o for o in self.all(pred) if isinstance(o, ox.Literal)]
        for o in objs:
            if o.language == lang:
                return o.value
        if lang == "en":
            return ""
        return objs[0].value if objs else ""

    def texts(self, pred: str) -> list[str]:
        return sorted(o.value for o in self.all(pred) if isinstance(o, ox.Literal))

    def integer(self, pred: str) -> int | None:
        for o in self.all(pred):
            if isinstance(o, ox.Literal):
                try:
                    return int(o.value)
                except ValueError:
                    return None
        return None

    def decimal(self, pred: str) -> float | None:
        for o in self.all(pred):
            if isinstance(o, ox.Literal):
                try:
                    return float(o.value)
                except ValueError:
                    return None
        return None

    def boolean(self, pred: str) -> bool | None:
        for o in self.all(pred):
            if isinstance(o, ox.Literal):
                return o.value in ("true", "1")
        return None

    def literal(self, pred: str) -> str | None:
        for o in self.all(pred):
            if isinstance(o, ox.Literal):
                return o.value
        return None

    def ref(self, pred: str) -> str:
        """Local name of the first IRI object of ``pred`` ('' if none)."""
        refs = self.refs(pred)
        return refs[0] if refs else ""

    def refs(self, pred: str) -> list[str]:
        return sorted((local_name(o.value) for o in self.all(pred) if isinstance(o, ox.NamedNode)),
                      key=_natural_key)

    def children(self, pred: str) -> list[_Node]:
        return [_Node(self.table, o) for o in self.all(pred) if isinstance(o, ox.BlankNode)]


def _natural_key(text: str) -> tuple:
    return (len(text), text) if text.isdigit() else (0, text)


def index_triples(triples: list[ox.Triple]) -> dict:
    """subject → predicate IRI → [objects]."""
    table: dict = defaultdict(lambda: defaultdict(list))
    for t in triples:
        table[t.subject][t.predicate.value].append(t.object)
    return table


def named_subjects(triples: list[ox.Triple]) -> list[str]:
    """The IRIs of the named subjects of some triples, sorted."""
    return sorted({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)})


def power_from_triples(iri: str, table: dict, path: str = "") -> Power:
    """Build a ``Power`` from the indexed triples of its file."""
    n = _Node(table, ox.NamedNode(iri))
    return Power(
        code=n.literal(PW + "code") or local_name(iri),
        title=n.text(DCTERMS + "title"),
        title_en=n.text(DCTERMS + "title", "en"),
        power_type=n.ref(PW + "powerType"),
        department=n.ref(PW + "department"),
        handling_unit=n.text(PW + "handlingUnit"),
        main_item=n.ref(PW + "mainItem") or None,
        levels=n.refs(PW + "exerciseLevel"),
        status=n.ref(PW + "status"),
        star_rating=n.integer(PW + "starRating"),
        service_objects=n.refs(PW + "serviceObject"),
        statutory_time_limit=n.integer(PW + "statutoryTimeLimit"),
        promised_time_limit=n.integer(PW + "promisedTimeLimit"),
        charges_fee=n.boolean(PW + "chargesFee"),
        fee_basis=n.text(PW + "feeBasis"),
        citations=sorted((_citation(c) for c in n.children(PW + "legalBasis")),
                         key=lambda c: c.order),
        tiers=sorted((_tier(c) for c in n.children(PW + "discretionTier")),
                     key=lambda t: t.order),
        responsibilities=sorted((_responsibility(c) for c in n.children(PW + "responsibility")),
                                key=lambda r: r.order),
        accountability=n.texts(PW + "accountability"),
        accountability_basis=n.texts(PW + "accountabilityBasis"),
        status_decision=n.text(PW + "statusDecision"),
        status_date=n.literal(PW + "statusDate"),
        successors=n.refs(PW + "successor"),
        path=path,
    )


def _citation(n: _Node) -> Citation:
    return Citation(
        order=n.integer(PW + "order") or 0,
        law=n.ref(PW + "law"),
        article=n.integer(PW + "article"),
        paragraph=n.integer(PW + "paragraph"),
        item=n.integer(PW + "item"),
        quote=n.text(PW + "quote"),
        raw_text=n.text(PW + "rawText"),
        cited_version=n.literal(PW + "citedVersion"),
    )


def _tier(n: _Node) -> DiscretionTier:
    return DiscretionTier(
        order=n.integer(PW + "order") or 0,
        tier=n.ref(PW + "tier"),
        condition=n.text(PW + "condition"),
        fine_min=n.integer(PW + "fineMin"),
        fine_max=n.integer(PW + "fineMax"),
        gains_multiple_min=n.decimal(PW + "gainsMultipleMin"),
        gains_multiple_max=n.decimal(PW + "gainsMultipleMax"),
        measure=n.text(PW + "measure"),
    )


def _responsibility(n: _Node) -> Responsibility:
    return Responsibility(order=n.integer(PW + "order") or 0, stage=n.ref(PW + "stage"),
                          description=n.text(PW + "description"))


def department_from_triples(iri: str, table: dict, path: str = "") -> Department:
    """Build a ``Department`` from the indexed triples of its file."""
    n = _Node(table, ox.NamedNode(iri))
    return Department(
        slug=local_name(iri),
        name=n.text(SKOS + "prefLabel"),
        name_en=n.text(SKOS + "prefLabel", "en"),
        alt_names=n.texts(SKOS + "altLabel"),
        code=n.literal(PW + "departmentCode") or "",
        credit_code=n.literal(PW + "creditCode") or "",
        category=n.text(PW + "category"),
        path=path,
    )


def law_from_triples(iri: str, table: dict, path: str = "") -> Law:
    """Build a ``Law`` from the indexed triples of its file."""
    n = _Node(table, ox.NamedNode(iri))
    return Law(
        id=local_name(iri),
        title=n.text(ELI + "title"),
        short_title=n.text(ELI + "title_short"),
        level=n.ref(PW + "lawLevel"),
        issued_by=n.text(PW + "issuedBy"),
        document_number=n.literal(PW + "documentNumber") or "",
        promulgated=n.literal(ELI + "date_document"),
        in_force_date=n.literal(ELI + "first_date_entry_in_force"),
        amendments=sorted(o.value for o in n.all(PW + "amendmentDate")
                          if isinstance(o, ox.Literal)),
        status=n.ref(PW + "lawStatus"),
        path=path,
    )


def schemes_from_triples(table: dict) -> list[ConceptScheme]:
    """Every concept scheme and its concepts (ordered by pw:order, then notation)."""
    schemes: dict[str, ConceptScheme] = {}
    concepts: list[Concept] = []
    for subject, values in table.items():
        if not isinstance(subject, ox.NamedNode):
            continue
        types = {o.value for o in values.get(RDF_TYPE, [])}
        n = _Node(table, subject)
        if SKOS + "ConceptScheme" in types:
            schemes[subject.value] = ConceptScheme(
                iri=subject.value, label=n.text(SKOS + "prefLabel"),
                label_en=n.text(SKOS + "prefLabel", "en"), source=n.text(DCTERMS + "source"))
        elif SKOS + "Concept" in types:
            scheme = next((o.value for o in values.get(SKOS + "inScheme", [])), "")
            concepts.append(Concept(
                iri=subject.value, scheme=scheme, notation=n.literal(SKOS + "notation") or "",
                label=n.text(SKOS + "prefLabel"), label_en=n.text(SKOS + "prefLabel", "en"),
                definition=n.text(SKOS + "definition"),
                definition_en=n.text(SKOS + "definition", "en"),
                order=n.integer(PW + "order")))
    for c in concepts:
        if c.scheme in schemes:
            schemes[c.scheme].concepts.append(c)
    for s in schemes.values():
        s.concepts.sort(key=lambda c: (c.order if c.order is not None else 10**6,
                                       _natural_key(c.notation)))
    return sorted(schemes.values(), key=lambda s: s.iri)


EXPECTED_TYPE = {
    "power": PW + "AdministrativePower",
    "department": PW + "Department",
    "law": PW + "Law",
}

NAMESPACE_OF_KIND = {
    "power": PREFIXES["power"],
    "department": PREFIXES["dept"],
    "law": PREFIXES["law"],
}
