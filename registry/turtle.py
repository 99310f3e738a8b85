"""The canonical Turtle writer: one sorted, readable layout for every record file.

Why our own writer: rdflib's serialisers order predicates alphabetically and blank nodes
by their random ids, so re-writing a file can move lines that did not change. Here the
field order is fixed (``PREDICATE_ORDER``), objects and blank nodes are sorted by a stable
key, Chinese is written unescaped, and writing a parsed file again yields the same bytes,
so a diff shows exactly the changed field.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from .namespaces import PREFIXES, RDF, XSD

RDF_TYPE = RDF + "type"
_PW = PREFIXES["pw"]

#: Field order of a record, as an officer reads it: identity, classification, who, where,
#: then legal basis, discretion, responsibilities, and status last.
PREDICATE_ORDER: list[str] = [
    RDF_TYPE,
    _PW + "code",
    "http://purl.org/dc/terms/title",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://data.europa.eu/eli/ontology#title",
    "http://data.europa.eu/eli/ontology#title_short",
    "http://www.w3.org/2004/02/skos/core#notation",
    _PW + "departmentCode",
    _PW + "creditCode",
    _PW + "category",
    _PW + "lawLevel",
    _PW + "issuedBy",
    _PW + "documentNumber",
    "http://data.europa.eu/eli/ontology#date_document",
    "http://data.europa.eu/eli/ontology#first_date_entry_in_force",
    _PW + "amendmentDate",
    _PW + "lawStatus",
    _PW + "powerType",
    _PW + "department",
    _PW + "handlingUnit",
    _PW + "mainItem",
    _PW + "exerciseLevel",
    _PW + "status",
    _PW + "starRating",
    _PW + "serviceObject",
    _PW + "statutoryTimeLimit",
    _PW + "promisedTimeLimit",
    _PW + "chargesFee",
    _PW + "feeBasis",
    # inside blank nodes
    _PW + "order",
    _PW + "law",
    _PW + "article",
    _PW + "paragraph",
    _PW + "item",
    _PW + "citedVersion",
    _PW + "quote",
    _PW + "rawText",
    _PW + "tier",
    _PW + "stage",
    _PW + "condition",
    _PW + "fineMin",
    _PW + "fineMax",
    _PW + "gainsMultipleMin",
    _PW + "gainsMultipleMax",
    _PW + "measure",
    _PW + "description",
    # record body
    _PW + "legalBasis",
    _PW + "discretionTier",
    _PW + "responsibility",
    _PW + "accountability",
    _PW + "accountabilityBasis",
    _PW + "statusDecision",
    _PW + "statusDate",
    _PW + "successor",
]
_RANK = {p: i for i, p in enumerate(PREDICATE_ORDER)}

_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\t\x00-\x1f\x7f]')
_DIGITS = re.compile(r"(\d+)")
_INDENT = "    "
_ONE_LINE = 100


#: IRI → (prefix name or None, how it is written): the prefix search is the writer's
#: hot spot, and a registry has only some tens of thousands of distinct IRIs.
_IRI_MEMO: dict[str, tuple[str | None, str]] = {}


class TurtleWriteError(ValueError):
    """The triples cannot be written in the canonical layout (e.g. a shared blank node)."""


def _natural(text: str) -> tuple:
    """Sort key that orders ``level:2`` before ``level:10``."""
    return tuple(int(p) if p.isdigit() else p for p in _DIGITS.split(text))


class _Writer:
    def __init__(self, triples: Iterable[ox.Triple]):
        self.by_subject: dict[object, list[ox.Triple]] = defaultdict(list)
        self.object_uses: dict[object, int] = defaultdict(int)
        for t in triples:
            self.by_subject[t.subject].append(t)
            if isinstance(t.object, ox.BlankNode):
                self.object_uses[t.object] += 1
        self.used_prefixes: set[str] = set()

    # --- terms -------------------------------------------------------------------
    def iri(self, value: str) -> str:
        hit = _IRI_MEMO.get(value)
        if hit is None:
            best = None
            for name, ns in PREFIXES.items():
                if value.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
                    local = value[len(ns):]
                    if local == "" or _LOCAL.match(local):
                        best = name
            hit = (best, f"<{value}>" if best is None else best + ":" + value[len(PREFIXES[best]):])
            if len(_IRI_MEMO) > 200_000:
                _IRI_MEMO.clear()
            _IRI_MEMO[value] = hit
        if hit[0] is not None:
            self.used_prefixes.add(hit[0])
        return hit[1]

    def literal(self, lit: ox.Literal) -> str:
        value = lit.value
        dtype = lit.datatype.value
        if lit.language is None:
            if dtype == XSD + "integer" and _INTEGER.match(value):
                return value
            if dtype == XSD + "decimal" and _DECIMAL.match(value):
                return value
            if dtype == XSD + "boolean" and value in ("true", "false"):
                return value
        text = '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'
        if lit.language is not None:
            return f"{text}@{lit.language}"
        if dtype == XSD + "string":
            return text
        return f"{text}^^{self.iri(dtype)}"

    def term(self, node: object, depth: int) -> str:
        if isinstance(node, ox.NamedNode):
            return self.iri(node.value)
        if isinstance(node, ox.Literal):
            return self.literal(node)
        if isinstance(node, ox.BlankNode):
            if self.object_uses.get(node, 0) != 1:
                raise TurtleWriteError("shared or cyclic blank node cannot be written inline")
            return self.block(node, depth)
        raise TurtleWriteError(f"unsupported term {node!r}")

    # --- blocks ------------------------------------------------------------------
    def predicate_lines(self, subject: object, depth: int) -> list[str]:
        """The ``predicate objects`` lines of one subject, each without its terminator."""
        groups: dict[str, list[object]] = defaultdict(list)
        for t in self.by_subject.get(subject, ()):
            groups[t.predicate.value].append(t.object)
        pad = _INDENT * (depth + 1)
        lines = []
        for pred in sorted(groups, key=lambda p: (_RANK.get(p, len(_RANK)), p)):
            name = "a" if pred == RDF_TYPE else self.iri(pred)
            nodes = groups[pred]
            if len(nodes) > 1 and all(isinstance(o, ox.BlankNode) for o in nodes):
                # ordered blank nodes (citations, tiers, …): sorted by pw:order alone, so
                # each is rendered once, at its final depth
                orders = [self._order(o) for o in nodes]
                if None not in orders and len(set(orders)) == len(orders):
                    inner = _INDENT * (depth + 2)
                    body = ",\n".join(inner + self.term(nodes[i], depth + 2)
                                      for i in sorted(range(len(nodes)), key=orders.__getitem__))
                    lines.append(f"{pad}{name}\n{body}")
                    continue
            objects = [self.term(o, depth + 1) for o in nodes]
            keys = [self.sort_key(o, text) for o, text in zip(nodes, objects, strict=True)]
            order = sorted(range(len(nodes)), key=lambda i: keys[i])
            simple = all(not isinstance(o, ox.BlankNode) for o in nodes)
            one_line = f"{pad}{name} {', '.join(objects[i] for i in order)}"
            if len(nodes) == 1 or simple and all(not o.startswith('"') for o in objects) and len(one_line) <= _ONE_LINE:
                lines.append(one_line)
            else:
                # one object a line, one level deeper, so a diff shows the one that changed
                inner = _INDENT * (depth + 2)
                body = ",\n".join(inner + self.term(nodes[i], depth + 2) for i in order)
                lines.append(f"{pad}{name}\n{body}")
        return lines

    def _order(self, node: object) -> int | None:
        """The ``pw:order`` of a blank node, as ``sort_key`` reads it (None if none)."""
        for t in self.by_subject.get(node, ()):
            if t.predicate.value == _PW + "order" and isinstance(t.object, ox.Literal):
                try:
                    return int(t.object.value)
                except ValueError:
                    return None
        return None

    def sort_key(self, node: object, text: str) -> tuple:
        if isinstance(node, ox.BlankNode):
            for t in self.by_subject.get(node, ()):
                if t.predicate.value == _PW + "order" and isinstance(t.object, ox.Literal):
                    try:
                        return (0, int(t.object.value), text)
                    except ValueError:
                        break
            return (1, 0, text)
        if isinstance(node, ox.Literal) and node.language is not None:
            # Chinese first, then English, then other languages
            rank = {"zh": 0, "en": 1}.get(node.language, 2)
            return (0, rank, _natural(text))
        return (0, 0, _natural(text))

    def block(self, node: object, depth: int) -> str:
        lines = self.predicate_lines(node, depth)
        if not lines:
            return "[]"
        return "[\n" + " ;\n".join(lines) + "\n" + _INDENT * depth + "]"

    def subject_block(self, subject: object) -> str:
        head = self.iri(subject.value) if isinstance(subject, ox.NamedNode) else f"_:{subject.value}"
        lines = self.predicate_lines(subject, 0)
        return head + "\n" + " ;\n".join(lines) + " .\n"


def _escape(match: re.Match) -> str:
    ch = match.group(0)
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def _subject_rank(writer: _Writer, subject: object) -> tuple:
    types = {t.object.value for t in writer.by_subject[subject] if t.predicate.value == RDF_TYPE
             and isinstance(t.object, ox.NamedNode)}
    heads = {"http://www.w3.org/2002/07/owl#Ontology", "http://www.w3.org/2004/02/skos/core#ConceptScheme"}
    return (0 if types & heads else 1, _natural(subject.value))


def serialize(triples: Iterable[ox.Triple]) -> str:
    """Write triples in the canonical layout.

    Named subjects become top-level blocks (ontology or scheme headers first, then by IRI);
    blank nodes used exactly once as an object are written inline where they are used.
    Raises ``TurtleWriteError`` for blank nodes that are shared, cyclic or unreferenced.
    """
    writer = _Writer(triples)
    roots = [s for s in writer.by_subject if isinstance(s, ox.NamedNode)]
    orphans = [s for s in writer.by_subject
               if isinstance(s, ox.BlankNode) and writer.object_uses.get(s, 0) == 0]
    if orphans:
        raise TurtleWriteError("a blank node is not attached to any subject")
    roots.sort(key=lambda s: _subject_rank(writer, s))
    body = "\n".join(writer.subject_block(s) for s in roots)
    header = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(writer.used_prefixes))
    return header + "\n" + body


def parse(data: bytes | str, base_iri: str | None = None) -> list[ox.Triple]:
    """Parse Turtle into a list of triples (raises ``SyntaxError`` with line and column)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return [q.triple for q in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=base_iri)]


def reformat(data: bytes | str) -> str:
    """Parse a Turtle document and write it again in the canonical layout."""
    return serialize(parse(data))
