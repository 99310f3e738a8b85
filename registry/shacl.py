"""Layer 3 of validation: the SHACL shapes in ``shapes/``.

The engine is pyshacl-turbo (a Rust SHACL engine with pySHACL's API and test suite):
pySHACL itself takes ~75 ms a record with our shapes (5 minutes for 4,236 records), turbo
~2 ms. Records go in batches into an in-memory Oxigraph store, the shapes are compiled
once per process. ``POWERS_SHACL_ENGINE=pyshacl`` selects pySHACL (the reference; the
tests check that both engines agree). Cross-record rules are not in SHACL (SPARQL
constraints cost minutes at 40k records); they live in ``crossrules``. Results are mapped
back to the file that owns the focus node.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from .diagnostics import ERROR, WARNING, Diagnostic, ShapesError
from .records import RecordResult, find_line, prefixed
from .source import SourceFile

__all__ = ["Shapes", "ShapesError", "validate_records", "to_rdflib"]


@dataclass
class Shapes:
    """The shapes files and their content id; parsed and compiled only when first used.

    A run whose every record is cached never parses the shapes: the fingerprint (from
    the files' blob ids) is all it needs. Pickled into worker processes without the
    parsed graph or the compiled program; each worker makes its own.
    """

    files: list[SourceFile]
    fingerprint: str
    _graph: rdflib.Graph | None = field(default=None, repr=False, compare=False)
    _names: dict | None = field(default=None, repr=False, compare=False)
    _compiled: object | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.update(_graph=None, _names=None, _compiled=None)
        return state

    @classmethod
    def load(cls, files: list[SourceFile]) -> Shapes:
        """The shapes of these files; ``ShapesError`` if there are none."""
        if not files:
            raise ShapesError("未找到 shapes/*.ttl。/ No shapes/*.ttl found. 修正 Fix: 在登记库根目录"
                              "运行 / run from the registry root (or pass --root).")
        digest = hashlib.sha1()
        for f in files:
            digest.update(f.path.encode() + b"\0" + f.blob.encode())
        return cls(files=list(files), fingerprint=digest.hexdigest())

    @property
    def graph(self) -> rdflib.Graph:
        """The parsed shapes graph; raises ``ShapesError`` naming the file that fails."""
        if self._graph is None:
            graph = rdflib.Graph()
            for f in self.files:
                try:
                    graph.parse(data=f.data.decode("utf-8"), format="turtle")
                except Exception as exc:  # rdflib raises many types for bad Turtle
                    raise ShapesError(f"{f.path}: 约束文件无法解析 / shapes file cannot be "
                                      f"parsed: {exc}") from exc
            self._graph = graph
        return self._graph

    @property
    def names(self) -> dict:
        """Property shape node → field name ("中文 / English", else the path's prefixed name)."""
        if self._names is None:
            names = {shape: str(name) for shape, name in self.graph.subject_objects(SH.name)}
            for shape, path in self.graph.subject_objects(SH.path):
                if isinstance(path, rdflib.URIRef):
                    names.setdefault(shape, prefixed(str(path)))
            self._names = names
        return self._names

    @property
    def compiled(self):
        """The shapes compiled by pyshacl-turbo (once per process)."""
        if self._compiled is None:
            import pyshacl_turbo

            self._compiled = pyshacl_turbo.CompiledShapes(self.graph)
        return self._compiled


def to_rdflib(term: object) -> rdflib.term.Node:
    """Convert a pyoxigraph term to rdflib."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        dtype = term.datatype.value
        if dtype == "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(dtype))
    raise TypeError(f"unsupported term {term!r}")


def validate_records(records: Iterable[RecordResult], shapes: Shapes,
                     texts: dict[str, str]) -> dict[str, list[Diagnostic]]:
    """Run the shapes over the records; diagnostics by file path.

    ``texts`` gives each file's text: the fast engine loads it straight into an Oxigraph
    store (no Python object per triple), and results point at the line of their field.
    """
    records = [r for r in records if r.triples]
    if not records:
        return {}
    if os.environ.get("POWERS_SHACL_ENGINE", "turbo") == "pyshacl":
        from pyshacl import validate as pyshacl_validate

        graph = rdflib.Graph()
        owner: dict = {}
        for r in records:
            for t in r.triples:
                subject = to_rdflib(t.subject)
                owner[subject] = r.path
                graph.add((subject, to_rdflib(t.predicate), to_rdflib(t.object)))
        _, report, _ = pyshacl_validate(graph, shacl_graph=shapes.graph, inference="none",
                                        allow_warnings=True, advanced=False)

        def path_of(focus) -> str | None:
            return owner.get(focus)
    else:
        store = ox.Store()
        for r in records:
            store.bulk_load(input=texts[r.path].encode("utf-8"), format=ox.RdfFormat.TURTLE)
        by_subject = {r.subject: r.path for r in records if r.subject}
        _, report, _ = shapes.compiled.validate(store, allow_warnings=True)

        def path_of(focus) -> str | None:
            # a blank node (citation, tier …) belongs to the record that links to it
            node = ox.BlankNode(str(focus)) if isinstance(focus, rdflib.BNode) else None
            for _ in range(8):
                if node is None:
                    break
                parent = next(iter(store.quads_for_pattern(None, None, node)), None)
                node = parent.subject if parent is not None else None
                if isinstance(node, ox.NamedNode):
                    return by_subject.get(node.value)
            return by_subject.get(str(focus))
    found: dict[str, list[Diagnostic]] = {}
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        path = path_of(focus)
        if path is None:
            continue
        diag = _diagnostic(report, result, path, focus, shapes, texts.get(path, ""))
        found.setdefault(path, []).append(diag)
    return found


_SEVERITY = {SH.Violation: ERROR, SH.Warning: WARNING, SH.Info: WARNING}


def _diagnostic(report: rdflib.Graph, result, path: str, focus, shapes: Shapes,
                text: str) -> Diagnostic:
    severity = _SEVERITY.get(report.value(result, SH.resultSeverity), ERROR)
    component = report.value(result, SH.sourceConstraintComponent)
    rule = "shacl:" + (str(component).rsplit("#", 1)[-1].replace("ConstraintComponent", "")
                       if component else "shape")
    source = report.value(result, SH.sourceShape)
    result_path = report.value(result, SH.resultPath)
    field = shapes.names.get(source) or (prefixed(str(result_path))
                                         if isinstance(result_path, rdflib.URIRef) else None)
    messages = [str(m) for m in report.objects(result, SH.resultMessage)]
    message = messages[0] if messages else "不符合约束 / does not conform to the shapes"
    value = report.value(result, SH.value)
    line = None
    if isinstance(result_path, rdflib.URIRef):
        line = find_line(text, prefixed(str(result_path)) + " ", prefixed(str(result_path)) + "\n")
    return Diagnostic(
        severity=severity, rule=rule, path=path, message=message, line=line, field=field,
        focus=str(focus) if isinstance(focus, rdflib.URIRef) else None,
        value=None if value is None or isinstance(value, rdflib.BNode) else str(value)[:200])
