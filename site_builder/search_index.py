"""The site's search index: static files a browser reads, updated in place per document.

What the search page fetches (``/search-index/``):

* ``meta.json``: the number of documents and of term shards, the facet values, and eight
  bytes per document (kind, status, type, stars, levels, department) from which the
  browser filters and counts facets without fetching anything else;
* ``s/<n>.bin``: shard ``n`` of the terms (``fnv1a(term) % shards``): for each term the
  documents holding it, ascending, and a one-byte weight each. A query fetches only the
  shards of its terms;
* ``f/<id>.json``: one document's URL, title, info line and excerpt text, fetched only for
  the results on screen.

Why not Pagefind (which the project used first, measured in docs/PERFORMANCE.md): it
cannot update an index, so one changed record re-indexed all 4,864 pages (5–10 s of the
3 s rebuild budget); at 40,000 records it took 87 s and 5.3 GB; its segmenter missed
compounds inside longer words (危险化学品: 19 pages of 108). Here a build re-encodes only
the shards holding the terms of changed documents and writes only their fragments; the
weights of unchanged documents stay as they were (their collection statistics are those
of the last full index, which a full build refreshes).

The index's state (each document's id, key and facet record) is kept in the registry's
cache folder with a token that the site's manifest repeats, and each document's terms and
weights beside it in a sharded cache, so a rebuild reads only those of the documents that
changed and re-encodes only the shards of terms that came, went or changed weight: a
deleted cache, a site built elsewhere, a document's terms not kept or a mismatch of any
file's key means a full re-index, never a patched guess.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import uuid
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple, Protocol

from . import search_terms
from .search_terms import Field

FOLDER = "search-index"
META = f"{FOLDER}/meta.json"
_MAGIC = b"PWS2"
_FORMAT = 2  # part of the cache fingerprint: a new format means a full index
_STATE = 2  # of IndexState and the postings kept beside it (also in the fingerprint)
#: Facets in the order of their byte in a document's record (``levels`` is a bit mask).
FACETS = ("department", "type", "level", "stars", "status")
#: Document kinds by their byte (0: a removed document, which never matches); a tombstone
#: is a power no longer in force (ranked lower).
KINDS = ("", "power", "department", "law", "tombstone")
#: Target size of a shard: a query of three terms fetches about three of them.
SHARD_BYTES = 12_000
MIN_SHARDS, MAX_SHARDS = 16, 1 << 16
_WIDTH_CODES = {1: "B", 2: "H", 4: "I"}


class SearchIndexError(RuntimeError):
    """The search index could not be written."""


@dataclass
class SearchDoc:
    """What the index holds of one page."""

    url: str
    kind: str  # power | tombstone | department | law
    title: str
    info: str  # the line under a result's title
    excerpt: str  # the text a result's excerpt is cut from
    fields: list[Field]
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class SearchReport:
    pages: int = 0  # documents in the index
    indexed: int = 0  # documents (re)indexed by this build
    removed: int = 0  # documents dropped by this build
    shards: int = 0  # term shards in the index
    shards_written: int = 0  # shards (re)encoded by this build
    full: bool = False  # the whole index was rebuilt
    postings: int = 0  # (term, document) pairs in the index
    seconds: float = 0.0
    files: int = 0
    size: int = 0


class _Doc(NamedTuple):
    id: int
    key: str
    record: bytes  # 8 bytes: kind, status, type, stars, levels (u16), department (u16)
    size: int  # its postings: (term, weight) pairs


class Postings(Protocol):
    """Each document's terms and weights by (URL, key): what a patch takes out of the
    shards when the document changes. Kept apart from ``IndexState`` (a build reads only
    those of the documents that changed; ``registry.cache.RecordCache`` fits)."""

    def get(self, url: str, key: str) -> tuple[tuple[str, ...], bytes] | None: ...
    def put(self, url: str, key: str, entry: tuple[tuple[str, ...], bytes]) -> None: ...
    def discard(self, url: str, key: str) -> None: ...
    def clear(self) -> None: ...


@dataclass
class IndexState:
    """Everything needed to patch the index but the documents' terms (``Postings``):
    kept between builds in the cache."""

    token: str
    shards: int
    next_id: int = 0
    docs: dict[str, _Doc] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in FACETS})
    shard_keys: list[str] = field(default_factory=list)
    generation: int = 0


def fingerprint() -> str:
    return f"{_FORMAT}:{_STATE}:{search_terms.VERSION}"


# --- encoding ----------------------------------------------------------------------------

def encode_shard(terms: dict[str, tuple[list[int], bytes]], token: str = "") -> bytes:
    """``PWS2``, the index's token (8 ASCII bytes: a browser holding the ``meta.json`` of
    another index notices), the term count, then per term (sorted): its UTF-8 length and
    bytes, the byte width of its id gaps (1, 2 or 4), the posting count, the gaps and the
    weights (little-endian)."""
    out = bytearray(_MAGIC)
    out += token[:8].ljust(8, "-").encode("ascii")
    out += struct.pack("<I", len(terms))
    for term in sorted(terms):
        ids, weights = terms[term]
        tb = term.encode("utf-8")
        gaps = [ids[0], *(b - a for a, b in zip(ids, ids[1:], strict=False))]
        top = max(gaps)
        width = 1 if top < 0x100 else 2 if top < 0x10000 else 4
        out.append(len(tb))
        out += tb
        out += struct.pack("<BI", width, len(ids))
        packed = array(_WIDTH_CODES[width], gaps)
        if packed.itemsize != width:  # platforms where "I" is not 4 bytes
            raise SearchIndexError("unsupported platform integer width")
        out += packed.tobytes() if _LITTLE else _swap(packed)
        out += weights
    return bytes(out)


_LITTLE = array("H", [1]).tobytes() == b"\x01\x00"


def _swap(packed: array) -> bytes:
    packed = array(packed.typecode, packed)
    packed.byteswap()
    return packed.tobytes()


def decode_shard(data: bytes) -> dict[str, tuple[list[int], bytes]]:
    """The inverse of ``encode_shard``."""
    if data[:4] != _MAGIC:
        raise SearchIndexError("not a search shard")
    (count,) = struct.unpack_from("<I", data, 12)
    pos = 16
    terms = {}
    for _ in range(count):
        n = data[pos]
        term = data[pos + 1:pos + 1 + n].decode("utf-8")
        pos += 1 + n
        width, size = struct.unpack_from("<BI", data, pos)
        pos += 5
        packed = array(_WIDTH_CODES[width])
        packed.frombytes(data[pos:pos + width * size])
        if not _LITTLE:
            packed.byteswap()
        pos += width * size
        terms[term] = (list(accumulate(packed)), data[pos:pos + size])
        pos += size
    return terms


# --- building and patching ----------------------------------------------------------------

def _record(doc: SearchDoc, state: IndexState) -> bytes:
    def index(facet: str, value: str) -> int:
        values = state.values[facet]
        try:
            return values.index(value) + 1
        except ValueError:
            values.append(value)
            return len(values)

    f = doc.facets
    one = {k: index(k, f[k][0]) if f.get(k) and f[k][0] else 0
           for k in ("department", "type", "stars", "status")}
    mask = 0
    for level in f.get("level", ()):
        bit = index("level", level) - 1
        if bit >= 16:
            raise SearchIndexError("more than 16 exercise levels")
        mask |= 1 << bit
    if one["department"] > 0xFFFF or max(one["type"], one["stars"], one["status"]) > 0xFF:
        raise SearchIndexError("too many facet values")
    return struct.pack("<BBBBHH", KINDS.index(doc.kind), one["status"], one["type"],
                       one["stars"], mask, one["department"])


def _fragment_key(state: IndexState, doc: _Doc) -> str:
    """A fragment file's key: its document's and the index's (a full re-index writes every
    fragment anew, with the new token; ids may have moved)."""
    return f"{state.token[:8]}:{doc.key}"


def _fragment(doc: SearchDoc, token: str) -> bytes:
    return (json.dumps({"u": doc.url, "t": doc.title, "i": doc.info, "x": doc.excerpt,
                        "k": token[:8]},
                       ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _shard_count(postings: int) -> int:
    # about 3 bytes a posting (a 1–2 byte gap and a weight) plus the term itself
    want = max(1, postings * 3 // SHARD_BYTES)
    n = MIN_SHARDS
    while n < want and n < MAX_SHARDS:
        n <<= 1
    return n


@dataclass
class IndexOutput:
    """One file of the index: its site path, a key deciding its bytes, and the bytes (None
    when the file is unchanged since the previous build, whose manifest lists it)."""

    path: str
    key: str
    data: bytes | None


def shard_path(n: int) -> str:
    return f"{FOLDER}/s/{n}.bin"


def fragment_path(doc_id: int) -> str:
    return f"{FOLDER}/f/{doc_id}.json"


class IndexUpdate:
    """One build's update of the index.

    ``keys`` maps every searchable page's URL to the key of what the index holds of it;
    ``make_doc(url)`` gives its ``SearchDoc`` (called only for new or changed pages);
    ``previous`` is the state of the last build (None: index everything); ``postings``
    holds each indexed document's terms (updated here: the caller saves it); ``read``
    reads a file of the previous build's index, ``listed`` tells whether the previous
    manifest lists a path with a key.
    """

    def __init__(self, keys: dict[str, str], make_doc: Callable[[str], SearchDoc],
                 previous: IndexState | None, postings: Postings,
                 read: Callable[[str], bytes], listed: Callable[[str, str], bool]):
        self.keys, self.make_doc, self.read, self.listed = keys, make_doc, read, listed
        self.previous, self.postings = previous, postings
        self.report = SearchReport()

    def run(self) -> tuple[IndexState, list[IndexOutput]]:
        old = self.previous
        changed = [u for u, k in self.keys.items() if u not in old.docs or old.docs[u].key != k] \
            if old is not None else []
        # patching costs a shard read per term of a changed document: past a quarter of the
        # documents, writing everything anew is cheaper
        if old is not None and len(changed) * 4 <= len(self.keys) and self._consistent(old):
            try:
                return self._patch(old, changed)
            except (OSError, SearchIndexError, ValueError, struct.error):
                pass  # the previous index cannot be read back: index everything
        self.report = SearchReport()
        return self._full()

    def _consistent(self, state: IndexState) -> bool:
        """The previous site still holds every file the state describes, with its key."""
        if len(state.shard_keys) != state.shards:
            return False
        if not all(self.listed(shard_path(n), k) for n, k in enumerate(state.shard_keys)):
            return False
        return all(self.listed(fragment_path(d.id), _fragment_key(state, d))
                   for d in state.docs.values())

    # --- a full index ----------------------------------------------------------------------
    def _full(self) -> tuple[IndexState, list[IndexOutput]]:
        report = self.report
        report.full = True
        state = IndexState(token=uuid.uuid4().hex, shards=MIN_SHARDS)
        outputs: list[IndexOutput] = []
        self.postings.clear()
        terms_of: list[tuple[tuple[str, ...], bytes]] = []  # by id
        # one document at a time: only its compact terms are kept (memory at 40,000)
        for url in sorted(self.keys):
            doc = self.make_doc(url)
            entry, terms = self._entry(state, url, doc, search_terms.weigh(doc.fields))
            terms_of.append(terms)
            outputs.append(IndexOutput(fragment_path(entry.id), _fragment_key(state, entry),
                                       _fragment(doc, state.token)))
        state.shards = _shard_count(sum(d.size for d in state.docs.values()))
        shards: list[dict[str, tuple[list[int], bytearray]]] = [{} for _ in range(state.shards)]
        where: dict[str, int] = {}  # each distinct term hashed once
        for entry in sorted(state.docs.values(), key=lambda d: d.id):
            for term, w in zip(*terms_of[entry.id], strict=True):
                n = where.get(term)
                if n is None:
                    n = where[term] = search_terms.shard_of(term, state.shards)
                lists = shards[n]
                found = lists.get(term)
                if found is None:
                    lists[term] = ([entry.id], bytearray((w,)))
                else:
                    found[0].append(entry.id)
                    found[1].append(w)
        state.shard_keys = []
        for n in range(state.shards):
            terms, shards[n] = shards[n], {}
            data = encode_shard({t: (ids, bytes(ws)) for t, (ids, ws) in terms.items()},
                                state.token)
            key = hashlib.sha1(data).hexdigest()
            state.shard_keys.append(key)
            outputs.append(IndexOutput(shard_path(n), key, data))
        report.indexed = len(state.docs)
        report.shards_written = state.shards
        return self._finish(state, outputs)

    def _entry(self, state: IndexState, url: str, doc: SearchDoc, weighed: dict[str, int],
               doc_id: int | None = None) -> tuple[_Doc, tuple[tuple[str, ...], bytes]]:
        """The document's entry and its (terms, weights), both kept."""
        if doc_id is None:
            doc_id = state.next_id
            state.next_id += 1
        key = self.keys[url]
        entry = _Doc(id=doc_id, key=key, record=_record(doc, state), size=len(weighed))
        state.docs[url] = entry
        terms = (tuple(weighed), bytes(weighed.values()))
        self.postings.put(url, key, terms)
        return entry, terms

    # --- patching the previous index ----------------------------------------------------------
    def _patch(self, old: IndexState, changed: list[str]) -> tuple[IndexState, list[IndexOutput]]:
        report = self.report
        state = IndexState(token=old.token, shards=old.shards, next_id=old.next_id,
                           docs=dict(old.docs), values={k: list(v) for k, v in old.values.items()},
                           shard_keys=list(old.shard_keys), generation=old.generation)
        removed = [u for u in old.docs if u not in self.keys]
        outputs: list[IndexOutput] = []
        # shard → term → {document id: new weight, or None to take it out}; a term whose
        # weight in a changed document stayed the same is left alone
        edits: dict[int, dict[str, dict[int, int | None]]] = {}

        def edit(term: str, doc_id: int, weight: int | None) -> None:
            edits.setdefault(search_terms.shard_of(term, state.shards), {}) \
                .setdefault(term, {})[doc_id] = weight

        def before(url: str) -> dict[str, int]:
            prev = old.docs.get(url)
            if prev is None:
                return {}
            found = self.postings.get(url, prev.key)
            if found is None:
                raise SearchIndexError(f"the terms of {url} are not kept")
            self.postings.discard(url, prev.key)
            return dict(zip(*found, strict=True))

        for url in removed:
            prev = state.docs.pop(url)
            for term in before(url):
                edit(term, prev.id, None)
            # a removed id keeps an empty fragment's place: it is never reused while this
            # index lives, so a browser's cached fragment cannot show another page
            outputs.append(IndexOutput(fragment_path(prev.id), "removed", b"{}\n"))
        for url in sorted(changed):
            was = before(url)
            doc = self.make_doc(url)
            prev = old.docs.get(url)
            entry, (terms, weights) = self._entry(state, url, doc, search_terms.weigh(doc.fields),
                                                  prev.id if prev else None)
            outputs.append(IndexOutput(fragment_path(entry.id), _fragment_key(state, entry),
                                       _fragment(doc, state.token)))
            now = dict(zip(terms, weights, strict=True))
            for term in was.keys() - now.keys():
                edit(term, entry.id, None)
            for term, w in now.items():
                if was.get(term) != w:
                    edit(term, entry.id, w)
        for n in sorted(edits):
            terms = decode_shard(self.read(shard_path(n)))
            for term, changes in edits[n].items():
                ids, weights = terms.get(term, ([], b""))
                weights = bytearray(weights)
                for doc_id, w in sorted(changes.items()):
                    i = bisect_left(ids, doc_id)
                    there = i < len(ids) and ids[i] == doc_id
                    if w is None:
                        if there:
                            del ids[i], weights[i]
                    elif there:
                        weights[i] = w
                    else:
                        ids.insert(i, doc_id)
                        weights.insert(i, w)
                terms[term] = (ids, bytes(weights))
            data = encode_shard({t: v for t, v in terms.items() if v[0]}, state.token)
            key = hashlib.sha1(data).hexdigest()
            if key != state.shard_keys[n]:
                state.shard_keys[n] = key
                outputs.append(IndexOutput(shard_path(n), key, data))
                report.shards_written += 1
        report.indexed = len(changed)
        report.removed = len(removed)
        # unchanged files: listed with their keys (the previous build wrote them)
        fresh = {o.path for o in outputs}
        for d in state.docs.values():
            if fragment_path(d.id) not in fresh:
                outputs.append(IndexOutput(fragment_path(d.id), _fragment_key(state, d), None))
        for n, key in enumerate(state.shard_keys):
            if shard_path(n) not in fresh:
                outputs.append(IndexOutput(shard_path(n), key, None))
        for doc_id in range(state.next_id):
            path = fragment_path(doc_id)
            if path not in fresh and self.listed(path, "removed"):
                outputs.append(IndexOutput(path, "removed", None))
        return self._finish(state, outputs)

    # --- the document table -----------------------------------------------------------------
    def _finish(self, state: IndexState, outputs: list[IndexOutput]
                ) -> tuple[IndexState, list[IndexOutput]]:
        if any(o.data is not None for o in outputs):
            state.generation += 1  # browsers fetch shards and fragments anew
        table = bytearray(8 * state.next_id)  # removed ids stay zero: kind 0 never matches
        for d in state.docs.values():
            table[8 * d.id:8 * d.id + 8] = d.record
        meta = {
            "version": _FORMAT, "terms": search_terms.VERSION,
            "token": state.token[:8], "generation": f"{state.token[:8]}-{state.generation}",
            "documents": len(state.docs), "ids": state.next_id, "shards": state.shards,
            "kinds": list(KINDS), "facets": FACETS,
            "values": {k: state.values[k] for k in FACETS},
            "table": base64.b64encode(bytes(table)).decode("ascii"),
        }
        # browsing by facet alone lists documents by URL: ids are in that order after a
        # full index, documents added since come last, so their order is then spelt out
        by_url = [state.docs[u].id for u in sorted(state.docs)]
        if by_url != sorted(by_url):
            meta["order"] = base64.b64encode(array("I", by_url).tobytes() if _LITTLE
                                             else _swap(array("I", by_url))).decode("ascii")
        data = (json.dumps(meta, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        outputs.append(IndexOutput(META, "meta:" + hashlib.sha1(data).hexdigest(), data))
        self.report.pages = len(state.docs)
        self.report.shards = state.shards
        self.report.postings = sum(d.size for d in state.docs.values())
        return state, outputs


def read_index(site: Path) -> dict[str, dict[str, int]]:
    """term → {page URL: weight} of a built site's index (for tests and inspection)."""
    meta = json.loads((site / META).read_text(encoding="utf-8"))
    urls_ = {}
    for doc_id in range(meta["ids"]):
        frag = json.loads((site / fragment_path(doc_id)).read_text(encoding="utf-8"))
        if frag.get("u"):
            urls_[doc_id] = frag["u"]
    found: dict[str, dict[str, int]] = {}
    for n in range(meta["shards"]):
        for term, (ids, weights) in decode_shard((site / shard_path(n)).read_bytes()).items():
            found[term] = {urls_[i]: w for i, w in zip(ids, weights, strict=True)}
    return found
