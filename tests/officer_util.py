"""Helpers shared by the officer-tools tests (tests/test_officer_*.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import rdflib

import cli

REPO = Path(__file__).resolve().parents[1]


def run(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    """Run ``powers ARGS --root ROOT`` in this process: (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = ["powers", *args, "--root", str(root)]
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code or 0
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def to_rdflib(triples) -> rdflib.Graph:
    """An rdflib graph of pyoxigraph triples (for ``rdflib.compare.isomorphic``)."""
    g = rdflib.Graph()

    def term(t):
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    for t in triples:
        g.add((term(t.subject), term(t.predicate), term(t.object)))
    return g


def graph_of(path: Path) -> rdflib.Graph:
    return to_rdflib(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE))


def power_files(root: Path) -> list[Path]:
    return sorted((root / "data" / "powers").glob("*/*.ttl"))
