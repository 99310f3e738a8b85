"""The DCAT-AP description of the registry's downloads, for data portals to harvest.

``dcat_triples`` describes a ``dcat:Catalog`` holding one ``dcat:Dataset`` (title and
description in Chinese and English, publisher, licence, issued/modified, spatial
coverage Zhejiang, keywords, theme, language) and one ``dcat:Distribution`` per file of
``registry.dumps.write_dumps`` (access and download URL, IANA media type, EU file type,
``dcat:compressFormat`` for the gzip files, ``dcat:byteSize``, ``spdx:checksum`` with
SHA-256, both of the file as downloaded). Terms follow DCAT-AP 3.0: the
mandatory and recommended properties of catalogue, dataset and distribution are all set.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from .dumps import Distribution
from .namespaces import DCAT, DCTERMS, FOAF, PW, RDF, SKOS, XSD
from .snapshot import Snapshot

SPDX = "http://spdx.org/rdf/terms#"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"

#: CC0 for the (synthetic) data, as the README and the site say; the code is Apache-2.0.
LICENSE = "http://creativecommons.org/publicdomain/zero/1.0/"
#: GeoNames feature of Zhejiang province (浙江省).
ZHEJIANG = "http://sws.geonames.org/1784764/"
#: The day the province published its list of 4,236 powers (domain.md §1).
ISSUED = "2014-06-25"

_FILE_TYPE = {"ttl": "RDF_TURTLE", "nt": "RDF_N_TRIPLES", "jsonld": "JSON_LD", "csv": "CSV",
              "xlsx": "XLSX"}

KEYWORDS = (("行政权力清单", "zh"), ("权责清单", "zh"), ("浙江省", "zh"), ("政务服务", "zh"),
            ("行政许可", "zh"), ("行政处罚", "zh"), ("administrative powers", "en"),
            ("power list", "en"), ("Zhejiang", "en"), ("public administration", "en"),
            ("licensing", "en"), ("penalties", "en"))

#: Prefixes for writing the description (``dcat_turtle``).
DCAT_PREFIXES = {"dcat": DCAT, "dcterms": DCTERMS, "foaf": FOAF, "skos": SKOS, "spdx": SPDX,
                 "xsd": XSD, "rdf": RDF}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _zh_en(text: str) -> tuple[str, str]:
    zh, _, en = text.partition(" / ")
    return zh.strip(), (en or zh).strip()


def latest_date(snap: Snapshot) -> str:
    """The most recent date the records state (a decision, an amendment), for
    ``dcterms:modified`` when the caller knows no better date."""
    dates = [p.status_date for p in snap.powers.values() if p.status_date]
    for law in snap.laws.values():
        dates += [d for d in (law.promulgated, law.last_amended) if d]
    return max(dates) if dates else ISSUED


def dcat_triples(snap: Snapshot, distributions: Iterable[Distribution], base_url: str, *,
                 issued: str = ISSUED, modified: str | None = None,
                 license_url: str = LICENSE) -> list[ox.Triple]:
    """The DCAT-AP catalogue, data set and distributions of the dumps at ``base_url``.

    Files are expected at ``{base_url}/data/{filename}``, the open-data page at
    ``{base_url}/data/``. ``modified`` (ISO date) defaults to ``latest_date(snap)``;
    a build from git should pass the date of its commit.
    """
    base = base_url.rstrip("/")
    page = _n(f"{base}/data/")
    catalog, dataset = _n(f"{base}/data/#catalog"), _n(f"{base}/data/#dataset")
    publisher, lic = _n(f"{base}/#publisher"), _n(license_url)
    modified = modified or latest_date(snap)
    out: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        out.append(ox.Triple(s, _n(p), o))

    def zh(text: str) -> ox.Literal:
        return ox.Literal(text, language="zh")

    def en(text: str) -> ox.Literal:
        return ox.Literal(text, language="en")

    def date(text: str) -> ox.Literal:
        return ox.Literal(text[:10], datatype=_n(XSD + "date"))

    stats = snap.stats()
    n_in_force, n_other = stats["in_force"], stats["abolished"]
    n_depts, n_laws = stats["departments"], stats["laws"]

    add(catalog, RDF + "type", _n(DCAT + "Catalog"))
    add(catalog, DCTERMS + "title", zh("行政权力清单登记库开放数据"))
    add(catalog, DCTERMS + "title", en("Administrative powers registry: open data"))
    add(catalog, DCTERMS + "description", zh("以 RDF 记录在版本库中维护的浙江省行政权力清单的批量下载。"))
    add(catalog, DCTERMS + "description", en("Bulk downloads of the Zhejiang administrative "
                                             "power list, kept as RDF records under version "
                                             "control."))
    add(catalog, DCTERMS + "publisher", publisher)
    add(catalog, DCTERMS + "license", lic)
    add(catalog, DCTERMS + "language", _n(EU + "language/ZHO"))
    add(catalog, DCTERMS + "modified", date(modified))
    add(catalog, FOAF + "homepage", _n(base + "/"))
    add(catalog, DCAT + "dataset", dataset)

    add(publisher, RDF + "type", _n(FOAF + "Agent"))
    add(publisher, FOAF + "name", zh("行政权力清单登记库项目"))
    add(publisher, FOAF + "name", en("Administrative powers registry project"))
    add(publisher, FOAF + "homepage", _n(base + "/"))

    add(lic, RDF + "type", _n(DCTERMS + "LicenseDocument"))
    add(lic, DCTERMS + "title", en("CC0 1.0 Universal (public domain dedication)")
        if license_url == LICENSE else en(license_url))

    add(dataset, RDF + "type", _n(DCAT + "Dataset"))
    add(dataset, DCTERMS + "identifier", ox.Literal(f"{base}/data/#dataset"))
    add(dataset, DCTERMS + "title", zh("浙江省省级部门行政权力清单（合成样例）"))
    add(dataset, DCTERMS + "title", en("Zhejiang provincial administrative power list "
                                       "(synthetic sample)"))
    add(dataset, DCTERMS + "description", zh(
        f"浙江省省级部门行政权力事项 {n_in_force:,} 项（实施中），另有已取消、下放或合并的事项 "
        f"{n_other:,} 项，涉及 {n_depts} 个部门、{n_laws} 部法律法规：基本编码、事项名称、类型、"
        "实施主体、行使层级、实施依据（条/款/项）、裁量基准、责任事项和追责情形。本数据为依据公开事实"
        "生成的合成样例，并非官方清单。"))
    add(dataset, DCTERMS + "description", en(
        f"{n_in_force:,} administrative powers in force held by {n_depts} Zhejiang provincial "
        f"departments, plus {n_other:,} abolished, delegated or merged ones, resting on "
        f"{n_laws} laws and regulations: code, name, type, implementing body, exercise levels, "
        "legal basis down to article, paragraph and item, discretion tiers, responsibilities "
        "and accountability. The data is a synthetic sample generated from public facts, not "
        "the official list."))
    add(dataset, DCTERMS + "publisher", publisher)
    add(dataset, DCTERMS + "license", lic)
    add(dataset, DCTERMS + "issued", date(issued))
    add(dataset, DCTERMS + "modified", date(modified))
    add(dataset, DCTERMS + "spatial", _n(ZHEJIANG))
    add(dataset, DCTERMS + "language", _n(EU + "language/ZHO"))
    add(dataset, DCTERMS + "language", _n(EU + "language/ENG"))
    add(dataset, DCTERMS + "accrualPeriodicity", _n(EU + "frequency/IRREG"))
    add(dataset, DCTERMS + "conformsTo", _n(PW))
    add(dataset, DCAT + "theme", _n(EU + "data-theme/GOVE"))
    add(dataset, DCAT + "landingPage", page)
    for word, lang in KEYWORDS:
        add(dataset, DCAT + "keyword", ox.Literal(word, language=lang))

    add(_n(ZHEJIANG), RDF + "type", _n(DCTERMS + "Location"))
    add(_n(ZHEJIANG), SKOS + "prefLabel", zh("浙江省"))
    add(_n(ZHEJIANG), SKOS + "prefLabel", en("Zhejiang"))

    for d in distributions:
        dist = _n(f"{base}/data/#{d.format}")
        add(dataset, DCAT + "distribution", dist)
        title_zh, title_en = _zh_en(d.title)
        add(dist, RDF + "type", _n(DCAT + "Distribution"))
        add(dist, DCTERMS + "title", zh(title_zh))
        add(dist, DCTERMS + "title", en(title_en))
        add(dist, DCAT + "accessURL", page)
        add(dist, DCAT + "downloadURL", _n(f"{base}/data/{d.filename}"))
        add(dist, DCAT + "mediaType", _n(IANA + d.media_type))
        if d.compression:  # DCAT 2+: the file is the media type above, compressed
            add(dist, DCAT + "compressFormat", _n(IANA + d.compression))
        if d.format in _FILE_TYPE:
            add(dist, DCTERMS + "format", _n(EU + "file-type/" + _FILE_TYPE[d.format]))
        add(dist, DCAT + "byteSize", ox.Literal(str(d.size), datatype=_n(XSD + "nonNegativeInteger")))
        add(dist, DCTERMS + "license", lic)
        add(dist, DCTERMS + "modified", date(modified))
        checksum = ox.BlankNode(f"checksum-{d.format}")
        add(dist, SPDX + "checksum", checksum)
        add(checksum, RDF + "type", _n(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", _n(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", ox.Literal(d.sha256, datatype=_n(XSD + "hexBinary")))
    return out


def dcat_turtle(triples: Iterable[ox.Triple]) -> str:
    """The description as Turtle with readable prefixes."""
    return ox.serialize(list(triples), format=ox.RdfFormat.TURTLE,
                        prefixes=DCAT_PREFIXES).decode("utf-8")
