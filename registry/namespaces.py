"""IRIs and prefixes of the registry: the one place they are spelled out."""

from __future__ import annotations

BASE = "https://powers.example.org/"

PW = BASE + "def/"
POWER = BASE + "id/power/"
DEPT = BASE + "id/department/"
LAW = BASE + "id/law/"
CODE = BASE + "code/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"
CPSV = "http://purl.org/vocab/cpsv#"
CV = "http://data.europa.eu/m8g/"
DCAT = "http://www.w3.org/ns/dcat#"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"

#: Every prefix a record file may use, by name. The canonical writer declares only
#: those a file needs, sorted by name.
PREFIXES: dict[str, str] = {
    "pw": PW,
    "power": POWER,
    "dept": DEPT,
    "law": LAW,
    "ptype": CODE + "power-type/",
    "ptype14": CODE + "power-type-2014/",
    "level": CODE + "exercise-level/",
    "stage": CODE + "responsibility-stage/",
    "tier": CODE + "discretion-tier/",
    "status": CODE + "status/",
    "lawlevel": CODE + "law-level/",
    "lawstatus": CODE + "law-status/",
    "sobj": CODE + "service-object/",
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "org": ORG,
    "eli": ELI,
    "cpsv": CPSV,
    "cv": CV,
    "dcat": DCAT,
    "prov": PROV,
    "foaf": FOAF,
    "sh": SH,
    "pwsh": BASE + "shapes/",
}

SCHEMES: dict[str, str] = {
    "power-type": PREFIXES["ptype"],
    "power-type-2014": PREFIXES["ptype14"],
    "exercise-level": PREFIXES["level"],
    "responsibility-stage": PREFIXES["stage"],
    "discretion-tier": PREFIXES["tier"],
    "status": PREFIXES["status"],
    "law-level": PREFIXES["lawlevel"],
    "law-status": PREFIXES["lawstatus"],
    "service-object": PREFIXES["sobj"],
}


def power_iri(code: str) -> str:
    """The IRI of the power with this 12-digit code."""
    return POWER + code


def department_iri(slug: str) -> str:
    """The IRI of the department whose folder is ``slug``."""
    return DEPT + slug


def law_iri(law_id: str) -> str:
    """The IRI of the law with this id (e.g. ``A012``)."""
    return LAW + law_id


def scheme_iri(name: str) -> str:
    """The IRI of a concept scheme (e.g. ``power-type``): its namespace without the slash."""
    return SCHEMES[name].rstrip("/")


def local_name(iri: str) -> str:
    """The last path segment of an IRI."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
