"""HTTP content negotiation: pick the best of the media types we offer for an Accept header."""

from __future__ import annotations

from functools import lru_cache

#: Short names accepted by ``?format=`` for each media type.
FORMAT_ALIASES: dict[str, str] = {
    "json": "application/json",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "html": "text/html",
    "xml": "application/sparql-results+xml",
    "srj": "application/sparql-results+json",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "rdfxml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
}


@lru_cache(maxsize=512)
def parse_accept(header: str | None) -> tuple[tuple[str, float], ...]:
    """``text/html,application/json;q=0.9`` → ((type, q), …) in the order given, q > 0 only."""
    if not header:
        return (("*/*", 1.0),)
    out = []
    for part in header[:2048].split(","):
        bits = [b.strip() for b in part.split(";")]
        media = bits[0].lower()
        if not media or "/" not in media:
            continue
        q = 1.0
        for b in bits[1:]:
            if b.lower().startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(b[2:])))
                except ValueError:
                    q = 0.0
        if q > 0:
            out.append((media, q))
    return tuple(out)


def _specificity(pattern: str, offered: str) -> int | None:
    if pattern == offered:
        return 3
    major, _, minor = pattern.partition("/")
    if minor == "*" and offered.startswith(major + "/"):
        return 2
    if pattern == "*/*":
        return 1
    return None


def choose(header: str | None, offered: list[str] | tuple[str, ...]) -> str | None:
    """The offered type the client prefers most (ties: our order); None if the client
    accepts none of them (→ 406). No Accept header means ``*/*``: the first offered."""
    return _choose(header, tuple(offered))


@lru_cache(maxsize=1024)
def _choose(header: str | None, offered: tuple[str, ...]) -> str | None:
    accepted = parse_accept(header)
    best, best_key = None, None
    for rank, media in enumerate(offered):
        q, spec = 0.0, 0
        for pattern, weight in accepted:
            s = _specificity(pattern, media)
            if s is not None and s > spec:
                q, spec = weight, s
        if q <= 0:
            continue
        key = (q, spec, -rank)
        if best_key is None or key > best_key:
            best, best_key = media, key
    return best
