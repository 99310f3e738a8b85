"""The SPARQL 1.1 Protocol, read-only: reading a request and screening its query.

Pure functions (no web framework): ``read_request`` turns the three request forms (GET
``?query=``, POST form-encoded, POST ``application/sparql-query``) into a ``Request``;
``screen`` refuses, before anything runs, queries that are too long, nested too deep,
updates (``INSERT``/``DELETE``/``LOAD``/… or an ``update=`` parameter) and federated
``SERVICE`` calls (the engine would fetch any URL from the server). What passes is run
by ``sparql_pool`` in a worker process with a time limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox

from . import errors
from .sparql_pool import GRAPH_TYPES

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
MAX_GRAPHS = 100

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
#: What to blank out before looking at keywords: strings, IRIs and comments.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n]*",
    re.S)
_PROLOGUE = re.compile(r"(?:PREFIX\s+[^\s:]*:\s*|BASE\s*)\u0000", re.I)
_UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE",
                    "ADD", "WITH")
_FIRST_WORD = re.compile(r"[A-Za-z]+")
_SERVICE = re.compile(r"(?<![\w:?$.\-])SERVICE(?![\w:\-])", re.I)


@dataclass
class Request:
    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.InvalidEncoding() from None


def _graphs(pairs: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    values = tuple(v for k, v in pairs if k == name)
    if len(values) > MAX_GRAPHS:
        raise errors.InvalidParameter(f"{name} 最多 {MAX_GRAPHS} 个。/ At most {MAX_GRAPHS} "
                                      f"{name} values.")
    for v in values:
        if not _IRI.match(v):
            raise errors.InvalidParameter(f"{name} 不是绝对 IRI：{v[:80]} / {name} is not an "
                                          f"absolute IRI: {v[:80]}")
    return values


def _parse_pairs(raw: bytes) -> list[tuple[str, str]]:
    text = _decode(raw)
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                         encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise errors.InvalidEncoding() from None


def read_request(method: str, content_type: str | None, query_string: bytes,
                 body: bytes) -> Request | None:
    """The query and dataset of a protocol request; None for GET without a query (→ the
    service description). Raises ``UpdateRefused`` for any update, 400s for misuse."""
    url_pairs = _parse_pairs(query_string)
    if any(k == "update" for k, _ in url_pairs):
        raise errors.UpdateRefused()
    media = (content_type or "").split(";")[0].strip().lower()
    if method in ("GET", "HEAD"):
        pairs = url_pairs
        queries = [v for k, v in pairs if k == "query"]
    elif method == "POST":
        if media == SPARQL_UPDATE:
            raise errors.UpdateRefused()
        if media == FORM:
            body_pairs = _parse_pairs(body)
            if any(k == "update" for k, _ in body_pairs):
                raise errors.UpdateRefused()
            pairs = url_pairs + body_pairs
            queries = [v for k, v in body_pairs if k == "query"] + \
                      [v for k, v in url_pairs if k == "query"]
        elif media == SPARQL_QUERY:
            pairs = url_pairs
            if any(k == "query" for k, _ in url_pairs):
                raise errors.MalformedQuery("直接 POST 查询时网址中不能再带 query 参数。/ A query "
                                            "POSTed directly must not also be in the URL.")
            queries = [_decode(body)]
        else:
            raise errors.UnsupportedMediaType(
                f"不支持的 Content-Type：{media or '（无）'}。/ Unsupported Content-Type "
                f"{media or '(none)'}: use {FORM} or {SPARQL_QUERY}.")
    else:
        raise errors.InvalidParameter("SPARQL 只接受 GET 和 POST。/ SPARQL takes GET and POST.")
    if not queries:
        if method in ("GET", "HEAD"):
            return None
        raise errors.MalformedQuery("缺少 query 参数。/ The query parameter is missing.")
    if len(queries) > 1:
        raise errors.MalformedQuery("只能有一个 query 参数。/ Give exactly one query parameter.")
    return Request(query=queries[0], default_graphs=_graphs(pairs, "default-graph-uri"),
                   named_graphs=_graphs(pairs, "named-graph-uri"))


def skeleton(query: str) -> str:
    """The query with strings, IRIs and comments blanked (NUL), to look at its structure."""
    return _OPAQUE.sub("\u0000", query)


def screen(query: str, *, max_bytes: int, max_depth: int) -> None:
    """Refuse, before execution, what must never run. Raises an ``ApiError``."""
    size = len(query.encode("utf-8"))
    if size > max_bytes:
        raise errors.TooLarge(f"查询长 {size:,} 字节，超过 {max_bytes:,} 字节上限。/ The query is "
                              f"{size:,} bytes, over the {max_bytes:,}-byte limit.")
    if not query.strip():
        raise errors.MalformedQuery("查询为空。/ The query is empty.")
    bare = skeleton(query)
    depth = deepest = 0
    for ch in bare:
        if ch in "{(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "})":
            depth -= 1
    if deepest > max_depth:
        raise errors.QueryTooComplex(
            f"查询嵌套 {deepest} 层，超过 {max_depth} 层上限。/ The query nests {deepest} levels "
            f"deep, over the limit of {max_depth}.", depth=deepest)
    rest = bare
    while True:
        rest = rest.lstrip(" \t\r\n\u0000")
        m = _PROLOGUE.match(rest)
        if not m:
            break
        rest = rest[m.end():]
    first = _FIRST_WORD.match(rest)
    if first and first.group().upper() in _UPDATE_KEYWORDS:
        raise errors.UpdateRefused()
    if _SERVICE.search(bare):
        raise errors.ServiceRefused()


# --- service description ---------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
_FORMAT_IRIS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]


def service_description(endpoint: str, triples: int) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of the endpoint, as triples."""
    n, lit = ox.NamedNode, ox.Literal
    rdf_type = n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    dct = "http://purl.org/dc/terms/"
    svc = n(endpoint)
    dataset, default = ox.BlankNode(), ox.BlankNode()
    out = [
        ox.Triple(svc, rdf_type, n(SD + "Service")),
        ox.Triple(svc, n(SD + "endpoint"), svc),
        ox.Triple(svc, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        ox.Triple(svc, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
        ox.Triple(svc, n(dct + "title"), lit("行政权力清单登记库 SPARQL 端点", language="zh")),
        ox.Triple(svc, n(dct + "title"), lit("Administrative powers registry SPARQL endpoint",
                                             language="en")),
        ox.Triple(svc, n(dct + "description"), lit(
            "只读；每项查询有时限和结果大小上限；默认图为全部命名图（每个记录文件一个）之并。",
            language="zh")),
        ox.Triple(svc, n(dct + "description"), lit(
            "Read-only; every query has a time limit and a result-size limit; the default graph "
            "is the union of all named graphs (one per record file).", language="en")),
        ox.Triple(svc, n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, n(SD + "Dataset")),
        ox.Triple(dataset, n(SD + "defaultGraph"), default),
        ox.Triple(default, rdf_type, n(SD + "Graph")),
        ox.Triple(default, n(VOID + "triples"),
                  lit(str(triples), datatype=n("http://www.w3.org/2001/XMLSchema#integer"))),
    ]
    out += [ox.Triple(svc, n(SD + "resultFormat"), n(FORMATS + f)) for f in _FORMAT_IRIS]
    return out


def serialize_graph(triples: list[ox.Triple], media_type: str) -> bytes:
    fmt = getattr(ox.RdfFormat, GRAPH_TYPES[media_type])
    if fmt is ox.RdfFormat.TURTLE:
        prefixes = {"sd": SD, "dcterms": "http://purl.org/dc/terms/", "void": VOID,
                    "formats": FORMATS}
        return ox.serialize(triples, format=fmt, prefixes=prefixes)
    return ox.serialize(triples, format=fmt)
