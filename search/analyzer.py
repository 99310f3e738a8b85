"""Chinese text analysis: CJK bigrams in the index, jieba words at query time.

Why not jieba at index time: it segments a compound one way in a document and another
way in a query (危险化学品 inside a longer name is often cut differently), so a query
misses documents that contain it verbatim, and it is slow (22 s to index the sample
against 4 s here; see docs/PERFORMANCE.md). Instead every run of Chinese characters is
indexed as overlapping bigrams (道路运输 → 道路 路运 运输, with positions), and a query is
cut into words by jieba; each word becomes a phrase of its bigrams, i.e. a substring
match, and the words are ANDed. So 道路运输经营 finds exactly the records containing it,
许可 finds every 许可, and 驾驶培训 (jieba: 驾驶 + 培训) also finds 机动车驾驶员培训.
Latin letters and digits are indexed as lower-cased words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer

#: One run of Chinese characters, or one run of Latin letters and digits.
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

#: Single-character words that carry no meaning on their own in a query.
STOP_CHARS = frozenset("的对和与或及在了是等之其为由被将并向于以把从")

#: Bump when the analysis changes: it is part of the index fingerprint.
ANALYSIS_VERSION = "bigram-1"


class BigramTokenizer(Tokenizer):
    """CJK runs → overlapping bigrams (plus the run's last character alone, so a one-character
    query can match it); Latin and digit runs → lower-cased words."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for m in _RUN.finditer(value):
            run = m.group()
            start = m.start()
            if not _CJK.match(run):
                t.text = run.lower()
                t.boost = 1.0
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar, t.endchar = start_char + start, start_char + m.end()
                pos += 1
                yield t
                continue
            n = len(run)
            for i in range(max(n - 1, 0)):
                t.text = run[i:i + 2]
                t.boost = 1.0
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar, t.endchar = start_char + start + i, start_char + start + i + 2
                pos += 1
                yield t
            t.text = run[-1]
            t.boost = 1.0
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + start + n - 1, start_char + start + n
            pos += 2  # a gap: no phrase spans two runs
            yield t


def bigram_analyzer() -> BigramTokenizer:
    return BigramTokenizer()


def bigrams(word: str) -> list[str]:
    """The index terms a query word must match in sequence (its bigrams, or itself)."""
    word = word.lower()
    if _CJK.match(word) and len(word) >= 2:
        return [word[i:i + 2] for i in range(len(word) - 1)]
    return [word]


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def warm_up() -> None:
    """Load jieba's dictionary now (about a second) rather than on the first query."""
    _jieba()


@lru_cache(maxsize=4096)
def query_words(text: str) -> tuple[str, ...]:
    """The words of a query: jieba's cut of each Chinese run, Latin/digit runs as they are.

    Single function characters (的, 对, …) are dropped when other words remain; words repeat
    only once. ``驾驶培训`` → ``('驾驶', '培训')``.
    """
    words: list[str] = []
    for m in _RUN.finditer(text):
        run = m.group()
        if _CJK.match(run):
            words.extend(w for w in _jieba().cut(run, HMM=True) if w.strip())
        else:
            words.append(run.lower())
    meaningful = [w for w in words if not (len(w) == 1 and w in STOP_CHARS)]
    words = meaningful or words
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    return tuple(seen)


def finer_words(words: tuple[str, ...] | list[str]) -> list[str]:
    """Words of three or more characters replaced by their two-character parts (jieba's
    search mode), for a second try when no power holds the longer words:
    ``许可证`` → ``许可``, ``食品安全`` → ``食品``, ``安全``."""
    out: dict[str, None] = {}
    for w in words:
        parts = [p for p in _jieba().cut_for_search(w) if len(p) == 2] \
            if len(w) >= 3 and _CJK.match(w) else []
        for p in parts or [w]:
            out.setdefault(p, None)
    return list(out)
