"""The terms of the site's search index, and what a document's terms weigh.

The browser cuts a query exactly as this module cuts the documents, so both live by the
same rules (``static/search-engine.js`` is the other half; ``tests/test_site_browser.py``
checks that the two agree on the same strings):

* text is NFKC-normalised and lower-cased (full-width ``３３０１`` and ``ＡＢ`` become
  ``3301`` and ``ab``);
* a run of Chinese characters gives its overlapping bigrams (道路运输 → 道路 路运 运输), so
  a query of two or more characters matches wherever its characters stand together: 许可,
  道路运输经营 and 危险化学品 inside a longer compound all match, which a word segmenter
  does not promise (see docs/PERFORMANCE.md);
* in a title, each Chinese character is a term too, so a one-character query (税) finds
  the powers whose name holds it;
* a run of Latin letters and digits is one term; in a code field its leading 4, 5, …
  digits are terms too, so a code's prefix finds its department's or type's powers.

Why bigrams and not jieba here: the browser has no segmenter (jieba's dictionary alone is
several MB), and bigrams need none: the query side is the same few lines in JavaScript.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Bump when the analysis changes: the index is then rebuilt in full.
VERSION = "bigram-1"

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")

#: How a term's weight saturates with repeats (BM25's k1).
K1 = 1.2
#: Weights are stored as one byte.
MAX_WEIGHT = 255


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def is_cjk(run: str) -> bool:
    """A run of Chinese characters (the other runs are ASCII letters and digits)."""
    return run[0] >= "\u3400"


def runs(text: str) -> list[str]:
    """The runs of Chinese characters and of Latin letters and digits, in order."""
    return _RUN.findall(normalize(text))


def text_terms(text: str, *, unigrams: bool = False, prefixes: bool = False) -> list[str]:
    """Every term of ``text`` (repeats kept: they count)."""
    out: list[str] = []
    for run in runs(text):
        if is_cjk(run):
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i:i + 2] for i in range(len(run) - 1))
                if unigrams:
                    out.extend(run)
        else:
            out.append(run)
            if prefixes and run.isdigit():
                out.extend(run[:n] for n in range(4, len(run)))
    return out


@dataclass(frozen=True)
class Field:
    """One piece of a document's text and how much a match in it counts."""

    text: str
    weight: float
    kind: str = "text"  # text | title (one-character terms too) | code (digit prefixes too)


def weigh(fields: list[Field]) -> dict[str, int]:
    """term → weight 1‥255 of one document: each field's repeats add its weight, then the
    sum saturates as in BM25 (``tf·(k1+1)/(tf+k1)``), so a term named once in the title
    outweighs one repeated in many citations."""
    raw: dict[str, float] = {}
    for f in fields:
        if not f.text:
            continue
        terms = text_terms(f.text, unigrams=f.kind == "title", prefixes=f.kind == "code")
        for t in terms:
            raw[t] = raw.get(t, 0.0) + f.weight
    scale = MAX_WEIGHT / (K1 + 1)
    return {t: max(1, min(MAX_WEIGHT, round(tf * (K1 + 1) / (tf + K1) * scale)))
            for t, tf in raw.items() if len(t.encode("utf-8")) < 256}


def fnv1a(term: str) -> int:
    """32-bit FNV-1a of the term's UTF-8 bytes: the shard a term lives in, the same in the
    browser (``Math.imul``) as here."""
    h = 0x811C9DC5
    for b in term.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def shard_of(term: str, shards: int) -> int:
    return fnv1a(term) % shards
