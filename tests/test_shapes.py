"""The SHACL shapes, the ontology and the code lists: well-formed, consistent, and biting.

(a) every file in ``shapes/`` conforms to the SHACL-for-SHACL shapes shipped with pySHACL;
(b) the ontology and the vocabularies parse, and every ``pw:`` term the shapes, the
    vocabularies and docs/DATA.md use is declared with zh and en labels and definitions;
(c) hand-made records: a valid one conforms, broken ones give the expected results with
    their Chinese-first messages.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from registry.namespaces import PREFIXES, PW, SCHEMES, local_name, scheme_iri

ROOT = Path(__file__).resolve().parent.parent
SHAPE_FILES = sorted((ROOT / "shapes").glob("*.ttl"))
ONTOLOGY = ROOT / "data" / "ontology" / "powers.ttl"
VOCAB_DIR = ROOT / "data" / "vocabularies"
PWSH = "https://powers.example.org/shapes/"

PREAMBLE = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())


def parse(path: Path) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(path, format="turtle")
    return g


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    g = rdflib.Graph()
    for f in SHAPE_FILES:
        g.parse(f, format="turtle")
    return g


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return parse(ONTOLOGY)


@pytest.fixture(scope="module")
def vocabularies() -> rdflib.Graph:
    g = rdflib.Graph()
    for name in SCHEMES:
        g.parse(VOCAB_DIR / f"{name}.ttl", format="turtle")
    return g


# ------------------------------------------------------------------------- (a)


@pytest.fixture(scope="module")
def shacl_shacl() -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=(files("pyshacl") / "assets" / "shacl-shacl.ttl").read_text("utf-8"),
            format="turtle")
    return g


def meta_conforms(shapes_graph: rdflib.Graph, shacl_shacl: rdflib.Graph) -> tuple[bool, str]:
    # abort_on_first halves the time; on failure, rerun for the full report.
    conforms, _, _ = validate(shapes_graph, shacl_graph=shacl_shacl, inference="none",
                              abort_on_first=True)
    if conforms:
        return True, ""
    _, _, text = validate(shapes_graph, shacl_graph=shacl_shacl, inference="none")
    return False, text


def test_the_shapes_files_are_there():
    assert {f.name for f in SHAPE_FILES} >= {"power.ttl", "department.ttl", "law.ttl",
                                             "vocabulary.ttl"}


def test_shapes_conform_to_shacl_for_shacl(shapes, shacl_shacl):
    # All files at once (cheaper than one run each); the report names the failing shape,
    # and every shape IRI says which file it is in (pwsh:PowerShape-… is in power.ttl).
    conforms, report = meta_conforms(shapes, shacl_shacl)
    assert conforms, report


def test_shacl_for_shacl_catches_a_broken_shape(shacl_shacl):
    broken = rdflib.Graph().parse(data=PREAMBLE + """
        <urn:x:S> a sh:NodeShape ; sh:targetClass pw:AdministrativePower ;
            sh:property [ sh:path pw:code ; sh:minCount "one" ] .""", format="turtle")
    assert not meta_conforms(broken, shacl_shacl)[0]


def test_shapes_use_only_shacl_core(shapes):
    assert not set(shapes.subjects(SH.sparql, None)), "no sh:sparql constraints (too slow)"
    assert not set(shapes.subjects(SH.select, None))


def test_every_property_shape_has_a_bilingual_name_and_message(shapes):
    for ps in set(shapes.subjects(RDF.type, SH.PropertyShape)):
        names = [str(n) for n in shapes.objects(ps, SH.name)]
        assert len(names) == 1 and re.fullmatch(r"[^/]*[\u4e00-\u9fff][^/]* / [ -~]+", names[0]), \
            f"{ps}: sh:name must be '中文 / English', got {names}"
    constrained = {s for s in shapes.subjects(RDF.type, SH.PropertyShape)}
    constrained |= {s for s in shapes.subjects(SH.targetClass, None)}
    constrained |= {s for s in shapes.subjects(SH.closed, None) if isinstance(s, URIRef)}
    for shape in constrained:
        messages = [str(m) for m in shapes.objects(shape, SH.message)]
        assert len(messages) == 1, f"{shape}: one sh:message"
        m = messages[0]
        assert re.fullmatch(r"\W*[\u4e00-\u9fff].*?/ [ -~].* 修正 Fix: .+ / .+", m), \
            f"{shape}: message must read '中文。/ English. 修正 Fix: 中文 / English': {m}"


# ------------------------------------------------------------------------- (b)


@pytest.mark.parametrize(
    "path",
    [ONTOLOGY, *sorted(VOCAB_DIR.glob("*.ttl")), *SHAPE_FILES],
    ids=lambda p: p.name,
)
def test_files_parse_with_pyoxigraph(path: Path):
    with open(path, "rb") as f:
        assert list(ox.parse(f, format=ox.RdfFormat.TURTLE))


def test_one_vocabulary_file_per_scheme():
    assert {p.stem for p in VOCAB_DIR.glob("*.ttl")} == set(SCHEMES)


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_vocabulary_file_holds_its_scheme(name: str):
    g = parse(VOCAB_DIR / f"{name}.ttl")
    scheme = URIRef(scheme_iri(name))
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    assert {s for s in g.subjects(RDF.type, SKOS.ConceptScheme)} == {scheme}
    concepts = set(g.subjects(RDF.type, SKOS.Concept))
    assert concepts and set(g.objects(scheme, SKOS.hasTopConcept)) == concepts
    for c in concepts:
        assert str(c).startswith(SCHEMES[name]), c
        assert g.value(c, SKOS.inScheme) == scheme
        assert str(g.value(c, SKOS.notation)) == local_name(str(c))


def labelled(g: rdflib.Graph, term: URIRef, prop: URIRef) -> set[str]:
    return {o.language for o in g.objects(term, prop) if isinstance(o, Literal) and o.language}


def pw_terms(g: rdflib.Graph) -> set[URIRef]:
    terms = set()
    for triple in g:
        for t in triple:
            if isinstance(t, URIRef) and str(t).startswith(PW) and str(t) != PW:
                terms.add(t)
    return terms


def test_ontology_declares_every_term_bilingually(ontology):
    declared = set()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        declared |= {t for t in ontology.subjects(RDF.type, kind) if isinstance(t, URIRef)}
    assert declared == pw_terms(ontology) - {URIRef(PW)}
    for term in declared:
        assert labelled(ontology, term, RDFS.label) >= {"zh", "en"}, term
        assert labelled(ontology, term, RDFS.comment) >= {"zh", "en"}, term
        assert ontology.value(term, RDFS.isDefinedBy) is not None, term
        if (term, RDF.type, OWL.Class) not in ontology:
            assert ontology.value(term, RDFS.domain) is not None, term
            assert ontology.value(term, RDFS.range) is not None, term


def test_every_pw_term_used_is_declared(ontology, shapes, vocabularies):
    declared = set(ontology.subjects(RDFS.label, None))
    for source, used in (("shapes", pw_terms(shapes)), ("vocabularies", pw_terms(vocabularies))):
        assert used - declared == set(), f"{source} use undeclared terms"
    doc = (ROOT / "docs" / "DATA.md").read_text("utf-8")
    in_doc = {URIRef(PW + n) for n in re.findall(r"\bpw:([A-Za-z]+)", doc)}
    assert in_doc - declared == set(), "docs/DATA.md uses undeclared terms"


def test_sh_in_lists_name_existing_concepts(shapes, vocabularies):
    concepts = set(vocabularies.subjects(RDF.type, SKOS.Concept))
    for lst in shapes.objects(None, SH["in"]):
        for item in rdflib.collection.Collection(shapes, lst):
            if isinstance(item, URIRef):
                assert item in concepts, f"sh:in names {item}, not in data/vocabularies"


def test_vocabularies_conform(vocabularies):
    conforms, _, text = validate(vocabularies, shacl_graph=parse(ROOT / "shapes" / "vocabulary.ttl"),
                                 inference="none")
    assert conforms, text


def test_stage_and_tier_orders(vocabularies):
    def order(c: str) -> int:
        return int(vocabularies.value(URIRef(c), PW_ORDER))

    stage, tier = PREFIXES["stage"], PREFIXES["tier"]
    licence = ["acceptance", "review", "decision", "delivery", "supervision", "other"]
    penalty = ["filing", "investigation", "hearing", "notification", "decision", "delivery",
               "execution", "other"]
    for seq in (licence, penalty):
        assert [order(stage + s) for s in seq] == sorted(order(stage + s) for s in seq)
    tiers = ["none", "mitigated", "lenient", "ordinary", "severe"]
    assert [order(tier + t) for t in tiers] == [1, 2, 3, 4, 5]
    ptype = PREFIXES["ptype"]
    required = {local_name(str(s)) for s in
                vocabularies.objects(URIRef(ptype + "02"), URIRef(PW + "responsibilityStage"))}
    assert required == set(penalty)
    assert vocabularies.value(URIRef(ptype + "02"), URIRef(PW + "requiresDiscretion")) \
        == Literal(True)


PW_ORDER = URIRef(PW + "order")


# ------------------------------------------------------------------------- (c)

VALID_POWER = """
power:330218001001
    a pw:AdministrativePower ;
    pw:code "330218001001" ;
    dcterms:title "对未取得道路运输经营许可擅自从事道路运输经营的处罚"@zh,
        "Penalty for road transport operation without a licence"@en ;
    pw:powerType ptype:02 ;
    pw:department dept:jiaotong ;
    pw:handlingUnit "运输管理处"@zh ;
    pw:mainItem power:330218001000 ;
    pw:exerciseLevel level:2, level:3, level:4 ;
    pw:status status:in-force ;
    pw:starRating 3 ;
    pw:serviceObject sobj:1, sobj:2 ;
    pw:statutoryTimeLimit 20 ;
    pw:promisedTimeLimit 10 ;
    pw:chargesFee false ;
    pw:legalBasis [
        pw:order 1 ;
        pw:law law:A012 ;
        pw:article 63 ;
        pw:paragraph 1 ;
        pw:item 2 ;
        pw:citedVersion "2023-07-20"^^xsd:date ;
        pw:quote "违反本条例的规定，未取得道路运输经营许可，擅自从事道路运输经营的……"@zh ;
        pw:rawText "【行政法规】《中华人民共和国道路运输条例》第六十三条：“……”"@zh
    ] ;
    pw:discretionTier [
        pw:order 1 ;
        pw:tier tier:lenient ;
        pw:condition "情节轻微，经指出后立即改正的"@zh ;
        pw:fineMin 30000 ;
        pw:fineMax 50000
    ], [
        pw:order 2 ;
        pw:tier tier:ordinary ;
        pw:condition "情节较重的"@zh ;
        pw:fineMin 50000 ;
        pw:fineMax 80000 ;
        pw:gainsMultipleMin 1.0 ;
        pw:gainsMultipleMax 2.0
    ], [
        pw:order 3 ;
        pw:tier tier:severe ;
        pw:condition "情节严重的"@zh ;
        pw:fineMin 80000 ;
        pw:fineMax 100000 ;
        pw:measure "责令停止经营，没收违法所得"@zh
    ] ;
    pw:responsibility [
        pw:order 1 ; pw:stage stage:filing ; pw:description "对发现的违法行为予以立案。"@zh
    ] ;
    pw:accountability "对符合立案条件的不予立案的"@zh ;
    pw:accountabilityBasis "《中华人民共和国行政处罚法》第七十六条"@zh .
"""

VALID_DEPARTMENT = """
dept:jiaotong
    a org:Organization, pw:Department ;
    skos:prefLabel "浙江省交通运输厅"@zh, "Zhejiang Provincial Department of Transport"@en ;
    skos:altLabel "省交通运输厅"@zh ;
    skos:notation "jiaotong" ;
    pw:departmentCode "18" ;
    pw:creditCode "11330000002482188X" ;
    pw:category "省政府组成部门"@zh .
"""

VALID_LAW = """
law:A012
    a eli:LegalResource, pw:Law ;
    eli:title "中华人民共和国道路运输条例"@zh ;
    eli:title_short "道路运输条例"@zh ;
    pw:lawLevel lawlevel:administrative-regulation ;
    pw:issuedBy "国务院"@zh ;
    pw:documentNumber "国务院令第406号" ;
    eli:date_document "2004-04-30"^^xsd:date ;
    eli:first_date_entry_in_force "2004-07-01"^^xsd:date ;
    pw:amendmentDate "2012-11-09"^^xsd:date, "2023-07-20"^^xsd:date ;
    pw:lawStatus lawstatus:in-force .
"""


def results(shapes: rdflib.Graph, record: str) -> list[dict]:
    """Validate one record; its results as dicts (shape local name, severity, message)."""
    data = rdflib.Graph().parse(data=PREAMBLE + record, format="turtle")
    _, report, _ = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    out = []
    for r in report.objects(None, SH.result):
        source = report.value(r, SH.sourceShape)
        out.append({
            "severity": report.value(r, SH.resultSeverity),
            "shape": str(source).removeprefix(PWSH) if not isinstance(source, BNode) else "",
            "focus": report.value(r, SH.focusNode),
            "message": " ".join(str(m) for m in report.objects(r, SH.resultMessage)),
        })
    return out


def violations(rs: list[dict]) -> list[dict]:
    return [r for r in rs if r["severity"] == SH.Violation]


def shapes_of(rs: list[dict]) -> set[str]:
    return {r["shape"] for r in rs}


def test_valid_records_conform(shapes):
    assert results(shapes, VALID_POWER) == []
    assert results(shapes, VALID_DEPARTMENT) == []
    assert results(shapes, VALID_LAW) == []


def test_bad_code(shapes):
    rs = results(shapes, VALID_POWER.replace('pw:code "330218001001"', 'pw:code "3302180011"'))
    [r] = [r for r in rs if r["shape"] == "PowerShape-code"]
    assert r["severity"] == SH.Violation
    assert r["message"].startswith("基本编码必须恰有一个，为12位数字")
    assert "修正 Fix:" in r["message"]


def test_missing_title(shapes):
    rs = results(shapes, re.sub(r'dcterms:title "[^"]*"@zh,\s*', "dcterms:title ", VALID_POWER))
    assert shapes_of(violations(rs)) == {"PowerShape-title-zh"}
    assert rs[0]["message"].startswith("缺少中文事项名称")


def test_typo_in_a_predicate(shapes):
    rs = results(shapes, VALID_POWER.replace("pw:handlingUnit", "pw:handlingUnt"))
    assert shapes_of(violations(rs)) == {"PowerShape", "PowerShape-handlingUnit"}
    [closed] = [r for r in rs if r["shape"] == "PowerShape"]
    assert closed["message"].startswith("记录使用了约束未定义的谓词")


def test_penalty_without_tiers_is_only_a_warning(shapes):
    record = re.sub(r"pw:discretionTier \[.*?\] ;\n    pw:responsibility", "pw:responsibility",
                    VALID_POWER, flags=re.S)
    assert "discretionTier" not in record
    rs = results(shapes, record)
    assert violations(rs) == []
    [r] = rs
    assert (r["severity"], r["shape"]) == (SH.Warning, "PenaltyDiscretionShape")
    assert r["message"].startswith("行政处罚事项缺少裁量基准")


def test_error_inside_a_citation_is_its_own_result(shapes):
    rs = results(shapes, VALID_POWER.replace("pw:article 63", 'pw:article "63"'))
    assert shapes_of(violations(rs)) == {"CitationShape-article"}  # datatype and ≥ 1
    r = rs[0]
    assert isinstance(r["focus"], BNode)
    assert r["message"].startswith("每条依据必须恰有一个“条”")


def test_typo_inside_a_discretion_tier(shapes):
    rs = results(shapes, VALID_POWER.replace("pw:measure", "pw:measures"))
    [r] = violations(rs)
    assert r["shape"] == "DiscretionTierShape"
    assert r["message"].startswith("裁量阶次中使用了约束未定义的谓词")


def test_fine_range_upside_down(shapes):
    rs = results(shapes, VALID_POWER.replace("pw:fineMax 50000", "pw:fineMax 20000"))
    assert shapes_of(violations(rs)) == {"DiscretionTierShape-fineMin"}


def test_promised_time_limit_within_statutory(shapes):
    rs = results(shapes, VALID_POWER.replace("pw:promisedTimeLimit 10", "pw:promisedTimeLimit 30"))
    assert shapes_of(violations(rs)) == {"PowerShape-promisedWithinStatutory"}


def test_abolished_power_needs_decision_and_date(shapes):
    record = VALID_POWER.replace("status:in-force", "status:abolished")
    rs = results(shapes, record)
    [r] = violations(rs)
    assert r["shape"] == "StatusDecisionShape"
    assert r["message"].startswith("已取消、已下放或已合并的事项必须写明决定文件和日期")
    fixed = record.replace(
        "pw:accountabilityBasis",
        'pw:statusDecision "浙政发〔2016〕12号"@zh ; pw:statusDate "2016-03-01"^^xsd:date ;\n'
        "    pw:accountabilityBasis")
    assert violations(results(shapes, fixed)) == []


def test_licence_without_statutory_time_limit_warns(shapes):
    record = (VALID_POWER.replace("330218001001", "330118001001")
              .replace("330218001000", "330118001000").replace("ptype:02", "ptype:01")
              .replace("pw:statutoryTimeLimit 20 ;", "").replace("pw:promisedTimeLimit 10 ;", ""))
    rs = results(shapes, record)
    assert violations(rs) == []
    assert shapes_of(rs) == {"LicenceTimeLimitShape"}


def test_broken_department_and_law(shapes):
    rs = results(shapes, VALID_DEPARTMENT.replace('"18"', "18").replace('"省政府组成部门"@zh', '"厅"@zh'))
    assert shapes_of(violations(rs)) == {"DepartmentShape-departmentCode", "DepartmentShape-category"}
    rs = results(shapes, VALID_LAW.replace("administrative-regulation", "law"))
    assert shapes_of(violations(rs)) == {"LawIdLevelShape"}
    rs = results(shapes, VALID_LAW.replace('"2012-11-09"', '"2001-01-01"'))
    assert shapes_of(violations(rs)) == {"LawShape-dateDocumentBeforeAmendment"}
