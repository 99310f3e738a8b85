"""Term helpers: pyoxigraph named nodes and literals over the registry's namespaces."""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from registry import namespaces as ns

XSD_INTEGER = NamedNode(ns.XSD + "integer")
XSD_DATE = NamedNode(ns.XSD + "date")
XSD_DECIMAL = NamedNode(ns.XSD + "decimal")
XSD_BOOLEAN = NamedNode(ns.XSD + "boolean")
RDF_TYPE = NamedNode(ns.RDF + "type")

__all__ = ["BlankNode", "Triple", "NamedNode", "pw", "term", "zh", "en", "plain", "integer",
           "date", "decimal", "boolean", "RDF_TYPE"]


def pw(local: str) -> NamedNode:
    """A term of the project vocabulary (``pw:local``)."""
    return NamedNode(ns.PW + local)


def term(prefix: str, local: str) -> NamedNode:
    """``prefix:local`` for any prefix declared in ``registry.namespaces.PREFIXES``."""
    return NamedNode(ns.PREFIXES[prefix] + local)


def zh(text: str) -> Literal:
    return Literal(text, language="zh")


def en(text: str) -> Literal:
    return Literal(text, language="en")


def plain(text: str) -> Literal:
    return Literal(text)


def integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=XSD_INTEGER)


def date(iso: str) -> Literal:
    return Literal(iso, datatype=XSD_DATE)


def decimal(value: float) -> Literal:
    return Literal(f"{value:.1f}", datatype=XSD_DECIMAL)


def boolean(value: bool) -> Literal:
    return Literal("true" if value else "false", datatype=XSD_BOOLEAN)
