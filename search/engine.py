"""Searching: ranked hits with facets and highlights, over the index of one snapshot.

A query is split into words (``analyzer.query_words``); every word must occur, as a
substring, in the name, the legal basis or the department/type/level text of a power. A
run of four or more digits is a code prefix.

Matching uses the whoosh index: a word's documents are the intersection of the posting
lists of its bigrams (union over the fields), checked against the text kept in memory, so
only true substring matches remain; no phrase positions are needed. Ranking is done here
rather than by whoosh's BM25F scorer, which costs 20–30 ms for a common word on the
sample (see docs/PERFORMANCE.md); for each word w:

    score += idf(w) · (3·[w in name] + s(tf in basis) + 0.5·s(tf in department/type))

with s(x) = x / (x + 1.2) and idf(w) = ln(1 + N / df(w)); then, when the name holds a
word, the score is multiplied by 1 + 3·(share of the name the words cover), +2 more when
they cover all of it (an exact name), and by 0.85 when the name has the form 对…的处罚
(it describes an offence that mentions the words); it is halved for powers no longer in
force. So 驾驶培训 ranks 机动车驾驶员培训许可 above the penalties whose longer names
merely mention it. In any other name, a multi-word run of the query found verbatim
(道路运输经营) counts again for the share of the name it covers. Facet counts (department,
type, level, star, status) are counted over every match, under the filters given.
Results are kept in a small LRU cache (the index never changes while it is open).
"""

from __future__ import annotations

import bisect
import html
import math
import re
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from registry.snapshot import Snapshot

from . import index as idx
from .analyzer import _CJK, bigrams, finer_words, query_words, warm_up

#: A query longer than this is cut (the API refuses longer ones before they get here).
MAX_QUERY_CHARS = 200
#: At most this many words are searched; later words are ignored.
MAX_WORDS = 12
_CODE_PREFIX = re.compile(r"^\d{4,12}$")
#: Names of the form 对<conduct>的<measure> (penalties, coercive measures) name an offence:
#: a query word found in them is a mention, not the power's subject.
_OFFENCE = re.compile(r"^对.+的")
FIELDS = ("name", "basis", "extra")
FACETS = ("department", "type", "level", "star", "status")


@dataclass
class Hit:
    code: str
    title: str
    department: str
    department_name: str
    power_type: str
    type_label: str
    levels: list[str]
    status: str
    star: int | None
    score: float
    highlights: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FacetValue:
    key: str
    label: str
    count: int


@dataclass
class SearchResult:
    query: str
    words: list[str]
    relaxed: bool
    total: int
    offset: int
    limit: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    took_ms: float

    def to_dict(self) -> dict:
        return {
            "query": self.query, "words": self.words, "relaxed": self.relaxed,
            "total": self.total,
            "offset": self.offset, "limit": self.limit,
            "hits": [h.to_dict() for h in self.hits],
            "facets": {k: [asdict(v) for v in vs] for k, vs in self.facets.items()},
            "took_ms": round(self.took_ms, 2),
        }


class SearchIndex:
    """An open index plus, by document number, what a hit shows and what facets count."""

    def __init__(self, ix, snap: Snapshot, cache_size: int = 1024):
        self.ix = ix
        self._lock = threading.Lock()
        self._reader = ix.reader()
        self._word_cache: _LRU = _LRU(4096)
        self._results: _LRU = _LRU(cache_size)
        by_code = {c: idx.make_doc(snap, p) for c, p in snap.powers.items()}
        self.docs: list[idx.Doc] = []
        self.docnum_of: dict[str, int] = {}
        for docnum, stored in self._reader.iter_docs():
            doc = by_code[stored["code"]]
            while len(self.docs) <= docnum:
                self.docs.append(doc)
            self.docs[docnum] = doc
            self.docnum_of[doc.code] = docnum
        self.haystacks = [f"{d.title_low}\n{d.basis_low}\n{d.extra_low}" for d in self.docs]
        self.facet_keys = [tuple(self._facet_keys(d)) for d in self.docs]
        self.sorted_codes = sorted(self.docnum_of)
        self.by_facet: dict[str, dict[str, set[int]]] = {f: defaultdict(set) for f in FACETS}
        for n in self.docnum_of.values():
            for facet, key in self._facet_keys(self.docs[n]):
                self.by_facet[facet][key].add(n)
        self.labels = {
            "department": {s: d.name for s, d in snap.departments.items()},
            "type": {c.key: c.label for c in _concepts(snap, "power-type")},
            "level": {c.key: c.label for c in _concepts(snap, "exercise-level")},
            "status": {c.key: c.label for c in _concepts(snap, "status")},
            "star": {str(n): "★" * n for n in range(1, 6)},
        }

    # --- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, root: Path | None, snap: Snapshot, *, threaded: bool = False) -> SearchIndex:
        """The index of ``snap``: read from the cache under ``root`` or built there first
        (in parallel processes). With ``root`` None the index is built in memory only.
        ``threaded``: the caller's process runs other threads (a server), so the build
        runs in a fresh process rather than forking this one.
        """
        if root is None:
            warm_up()
            return cls(idx.build_in_memory(snap), snap)
        if threaded and not idx.index_dir(root, snap).is_dir():
            idx.ensure_in_subprocess(root)
        warm_up()
        try:
            folder, _ = idx.ensure(root, snap, procs=1 if threaded else None)
        except OSError:  # a read-only registry: keep the index in memory
            return cls(idx.build_in_memory(snap), snap)
        return cls(idx.load_into_memory(folder), snap)

    @staticmethod
    def _facet_keys(doc: idx.Doc):
        yield "department", doc.department
        yield "type", doc.power_type
        yield "status", doc.status
        if doc.star:
            yield "star", str(doc.star)
        for lv in doc.levels:
            yield "level", lv

    # --- searching ---------------------------------------------------------------
    def search(self, q: str = "", *, department: str | None = None, power_type: str | None = None,
               level: str | None = None, star: int | None = None, status: str | None = None,
               limit: int = 20, offset: int = 0, highlight: bool = True) -> SearchResult:
        """Ranked hits for ``q`` (empty: every power, by code) under the filters given."""
        started = time.perf_counter()
        q = (q or "")[:MAX_QUERY_CHARS]
        key = (q, department, power_type, level, star, status, limit, offset, highlight)
        cached = self._results.get(key)
        if cached is not None:
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        prefixes, text = _split_codes(q)
        words = list(query_words(text))[:MAX_WORDS] if text.strip() else []
        allowed = self._filter({"department": department, "type": power_type, "level": level,
                                "star": str(star) if star else None, "status": status})
        for prefix in prefixes:
            allowed = self._code_prefix(prefix) if allowed is None else \
                allowed & self._code_prefix(prefix)
        relaxed = False
        if words:
            phrases = _phrases(text, words)
            scored = self._score(words, allowed, phrases)
            finer = finer_words(words)
            if not scored and finer != words:  # e.g. 火车票 where records say 火车, 车票
                words, relaxed = finer, True
                scored = self._score(words, allowed, phrases)
        else:  # browsing: everything allowed, by code
            docs = range(len(self.docs)) if allowed is None else allowed
            scored = [(1.0, n) for n in sorted(docs, key=lambda n: self.docs[n].code)]
        matched = [n for _, n in scored]
        hits = [self._hit(n, s, words, highlight) for s, n in scored[offset:offset + limit]]
        result = SearchResult(
            query=q, words=words, relaxed=relaxed, total=len(scored), offset=offset, limit=limit,
            hits=hits,
            facets=self._facets(matched), took_ms=(time.perf_counter() - started) * 1000)
        self._results.put(key, result)
        return result

    def codes(self, q: str) -> list[str]:
        """Codes of every power matching ``q`` (no ranking, facets or highlights)."""
        prefixes, text = _split_codes((q or "")[:MAX_QUERY_CHARS])
        words = list(query_words(text))[:MAX_WORDS] if text.strip() else []
        allowed = None
        for prefix in prefixes:
            allowed = self._code_prefix(prefix) if allowed is None else \
                allowed & self._code_prefix(prefix)
        if not words:
            docs = range(len(self.docs)) if allowed is None else allowed
            return [self.docs[n].code for n in docs]
        return [self.docs[n].code for _, n in self._score(words, allowed, ())]

    def _filter(self, wanted: dict[str, str | None]) -> set[int] | None:
        allowed: set[int] | None = None
        for facet, key in wanted.items():
            if key is None or key == "":
                continue
            docs = self.by_facet[facet].get(key, set())
            allowed = set(docs) if allowed is None else allowed & docs
        return allowed

    def _code_prefix(self, prefix: str) -> set[int]:
        i = bisect.bisect_left(self.sorted_codes, prefix)
        out = set()
        while i < len(self.sorted_codes) and self.sorted_codes[i].startswith(prefix):
            out.add(self.docnum_of[self.sorted_codes[i]])
            i += 1
        return out

    def _word_docs(self, word: str) -> frozenset[int]:
        """Documents holding ``word`` as a substring of one of the searched fields."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        grams = bigrams(word)
        lone = len(word) == 1 and _CJK.match(word) is not None
        found: set[int] = set()
        with self._lock:  # whoosh readers share file positions: one reader call at a time
            for f in FIELDS:
                if lone:  # a lone character: any bigram starting with it, or itself last
                    for term in self._reader.expand_prefix(f, word):
                        found |= self._postings(f, term)
                    continue
                docs: set[int] | None = None
                for g in grams:
                    ids = self._postings(f, g)
                    docs = ids if docs is None else docs & ids
                    if not docs:
                        break
                found |= docs or set()
        if len(grams) > 1 or lone:  # bigrams found apart: keep true substrings only
            low = word.lower()
            found = {n for n in found if low in self.haystacks[n]}
        result = frozenset(found)
        self._word_cache.put(word, result)
        return result

    def _postings(self, fieldname: str, term: str) -> set[int]:
        try:
            return set(self._reader.postings(fieldname, term).all_ids())
        except Exception:  # whoosh raises TermNotFound (a KeyError) for unknown terms
            return set()

    def _score(self, words: list[str], allowed: set[int] | None,
               phrases: tuple[str, ...]) -> list[tuple[float, int]]:
        """Matching documents with their scores, best first (ties by code); ``phrases``
        are the query's multi-word runs, rewarded when a name holds one verbatim."""
        if allowed is not None and not allowed:
            return []
        sets = [self._word_docs(w) for w in words]
        matched = set(sets[0]).intersection(*sets[1:]) if sets else set()
        if allowed is not None:
            matched &= allowed
        n = max(len(self.docs), 1)
        lows = [w.lower() for w in words]
        idf = [math.log(1 + n / max(len(d), 1)) for d in sets]
        docs = self.docs
        scored = []
        for num in matched:
            d = docs[num]
            title, basis, extra = d.title_low, d.basis_low, d.extra_low
            score = 0.0
            in_title = False
            for w, weight in zip(lows, idf, strict=True):
                t, b, e = w in title, basis.count(w), extra.count(w)
                in_title = in_title or t
                score += weight * (3.0 * t + b / (b + 1.2) + 0.5 * e / (e + 1.2))
            if in_title:
                cover = _coverage(d.title, words)
                score *= 1.0 + 3.0 * cover + (2.0 if cover >= 0.999 else 0.0)
                if _OFFENCE.match(d.title):  # 对…的处罚: the words describe the offence
                    score *= 0.85
                else:  # a verbatim run of the query counts again for the share it covers
                    run = max((len(p) for p in phrases if p in title), default=0)
                    score *= 1.0 + run / len(title)
            if d.status != "in-force":
                score *= 0.5
            scored.append((score, num))
        scored.sort(key=lambda sn: (-sn[0], docs[sn[1]].code))
        return scored

    def _hit(self, docnum: int, score: float, words: list[str], highlight: bool) -> Hit:
        d = self.docs[docnum]
        hl = {}
        if highlight and words:
            hl["name"] = mark(d.title, words)
            fragment = snippet(d.basis, words)
            if fragment:
                hl["basis"] = fragment
        return Hit(code=d.code, title=d.title, department=d.department,
                   department_name=d.department_name, power_type=d.power_type,
                   type_label=d.type_label, levels=d.levels, status=d.status, star=d.star,
                   score=round(score, 4), highlights=hl)

    def _facets(self, matched: list[int]) -> dict[str, list[FacetValue]]:
        counts: dict[str, Counter] = {f: Counter() for f in FACETS}
        if len(matched) < 500:
            for n in matched:
                for facet, key in self.facet_keys[n]:
                    counts[facet][key] += 1
        else:  # many matches: one C-level set intersection per facet value
            matched_set = set(matched)
            for facet, values in self.by_facet.items():
                for key, docs in values.items():
                    k = len(docs & matched_set) if len(docs) < len(matched_set) else \
                        len(matched_set & docs)
                    if k:
                        counts[facet][key] = k
        out = {}
        for facet, counter in counts.items():
            labels = self.labels[facet]
            values = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
            if facet in ("level", "star", "type"):
                values = sorted(counter.items(), key=lambda kv: kv[0])
            out[facet] = [FacetValue(k, labels.get(k, k), n) for k, n in values]
        return out


class _LRU:
    """A small thread-safe LRU mapping."""

    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


def _concepts(snap: Snapshot, scheme: str):
    s = snap.schemes.get(scheme)
    return s.concepts if s else []


def _phrases(text: str, words: list[str]) -> tuple[str, ...]:
    """Runs of the query that jieba cut into several words (道路运输经营 → 道路|运输|经营)."""
    runs = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{3,}", text.lower())
    return tuple(r for r in runs if r not in words)


def _split_codes(q: str) -> tuple[list[str], str]:
    """Code prefixes (runs of 4–12 digits) apart from the rest of the query."""
    prefixes, rest = [], []
    for token in q.split():
        (prefixes if _CODE_PREFIX.match(token) else rest).append(token)
    return prefixes, " ".join(rest)


def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Merged (start, end) spans of every occurrence of any word in ``text``."""
    spans = []
    low = text.lower()
    for w in words:
        w = w.lower()
        start = low.find(w)
        while start >= 0 and w:
            spans.append((start, start + len(w)))
            start = low.find(w, start + 1)
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _coverage(title: str, words: list[str]) -> float:
    if not title:
        return 0.0
    return sum(e - s for s, e in _spans(title, words)) / len(title)


def mark(text: str, words: list[str], spans: list[tuple[int, int]] | None = None) -> str:
    """``text`` HTML-escaped, with every occurrence of the words in ``<mark>``."""
    spans = _spans(text, words) if spans is None else spans
    out, last = [], 0
    for s, e in spans:
        out.append(html.escape(text[last:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        last = e
    out.append(html.escape(text[last:]))
    return "".join(out)


def snippet(text: str, words: list[str], width: int = 80) -> str:
    """A fragment of ``text`` around its first match, marked; '' when nothing matches."""
    spans = _spans(text, words)
    if not spans:
        return ""
    first = spans[0][0]
    start = max(0, first - width // 4)
    end = min(len(text), start + width)
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
    body = mark(text[start:end], words, inside)
    return ("…" if start > 0 else "") + body.replace("\n", " ") + ("…" if end < len(text) else "")
