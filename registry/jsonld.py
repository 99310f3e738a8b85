"""JSON-LD of records: nested, compact IRIs, one shared context.

The output is plain JSON-LD 1.1 (a ``@context`` of prefixes, values as value objects),
so any JSON-LD processor expands it to exactly the triples of the record file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox

from .namespaces import PREFIXES, RDF, XSD

CONTEXT: dict[str, str] = dict(sorted(PREFIXES.items()))


@lru_cache(maxsize=200_000)
def compact(iri: str) -> str:
    """``https://powers.example.org/def/code`` → ``pw:code`` (longest matching prefix)."""
    best = ""
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = name
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def _value(term: object, table: dict, seen: set) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"@id": compact(term.value)}
    if isinstance(term, ox.BlankNode):
        if term in seen:  # shared or cyclic: refer, do not nest again
            return {"@id": f"_:{term.value}"}
        seen.add(term)
        return _node(term, table, seen, with_id=False)
    lit: ox.Literal = term
    if lit.language:
        return {"@value": lit.value, "@language": lit.language}
    if lit.datatype.value == XSD + "string":
        return {"@value": lit.value}
    return {"@value": lit.value, "@type": compact(lit.datatype.value)}


def _node(subject: object, table: dict, seen: set, with_id: bool = True) -> dict:
    node: dict = {}
    if with_id:
        node["@id"] = compact(subject.value) if isinstance(subject, ox.NamedNode) else \
            f"_:{subject.value}"
    for pred, objects in sorted(table.get(subject, {}).items()):
        if pred == RDF + "type":
            node["@type"] = sorted(compact(o.value) for o in objects)
            continue
        node[compact(pred)] = [_value(o, table, seen) for o in objects]
    return node


def to_jsonld(triples: Iterable[ox.Triple], context: dict | str | None = None) -> dict:
    """A JSON-LD document for the named subjects of ``triples``, blank nodes nested."""
    table: dict = defaultdict(lambda: defaultdict(list))
    for t in triples:
        table[t.subject][t.predicate.value].append(t.object)
    seen: set = set()
    roots = sorted((s for s in table if isinstance(s, ox.NamedNode)), key=lambda s: s.value)
    nodes = [_node(s, table, seen) for s in roots]
    nodes += [_node(s, table, seen) for s in table if isinstance(s, ox.BlankNode) and s not in seen]
    doc: dict = {"@context": context if context is not None else CONTEXT}
    if len(nodes) == 1:
        doc.update(nodes[0])
    else:
        doc["@graph"] = nodes
    return doc


def dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)
