"""Citation text as officers write it, read into structured parts and written back.

A legal-basis cell of a published list reads like::

    【法律】《中华人民共和国公路法》（1997年7月3日公布，2017年11月4日第五次修正）第五十条第一款：“……”

``parse_citation`` reads one such citation into its law title, the dates in the
parenthesis (the last one is the version cited), the provision down to 条/款/项 (Chinese
or Arabic numerals) and the quoted text, keeping the raw text as it was.
``split_citations`` cuts a cell holding several citations into one text per citation,
never inside a quotation. ``match_law`` finds the law record a title names (full title,
short title, or the title without 中华人民共和国/浙江省).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import Law

_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
          "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = r"[0-9０-９零〇一二两三四五六七八九十百千]+"

_LEVEL = re.compile(r"^\s*[【\[]([^】\]]{1,12})[】\]]\s*")
_PAREN = re.compile(r"^\s*[（(]([^）)]*)[）)]")
_ARTICLE = re.compile(rf"第({_NUMERAL})条(?:之({_NUMERAL}))?")
_PARAGRAPH = re.compile(rf"^第({_NUMERAL})款")
_ITEM = re.compile(rf"^第[（(]?({_NUMERAL})[）)]?项")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_QUOTE_OPEN = "“\"「"
_QUOTE_CLOSE = "”\"」"
_NUMBERED = re.compile(r"^\s*(?:\d+|[一二三四五六七八九十]+)\s*[.、．)）]\s*(?=[【《\[])")


class CitationError(ValueError):
    """A citation text names no law (no 《…》) or an unreadable provision."""


def chinese_to_int(text: str) -> int:
    """``六十三`` → 63, ``一百零五`` → 105, ``十`` → 10, ``63``/``６３`` → 63."""
    text = text.strip()
    if not text:
        raise ValueError("empty numeral")
    ascii_digits = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if ascii_digits.isdigit():
        return int(ascii_digits)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGIT:
            current = _DIGIT[ch]
        elif ch in _UNIT:
            total += (current or 1) * _UNIT[ch]
            current = 0
        else:
            raise ValueError(f"not a numeral: {text}")
    return total + current


def iso_date(match: re.Match) -> str:
    y, m, d = (int(g) for g in match.groups())
    return f"{y:04d}-{m:02d}-{d:02d}"


def chinese_date(iso: str) -> str:
    """``2017-11-04`` → ``2017年11月4日``."""
    y, m, d = iso.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


@dataclass
class ParsedCitation:
    """One citation read from text. ``raw`` is the text exactly as given."""

    raw: str
    title: str
    level_label: str = ""  # 法律, 行政法规 … as written in 【…】
    parenthetical: str = ""  # what stood in （…） after the title
    version: str | None = None  # ISO date: the last date of the parenthetical
    dates: list[str] = field(default_factory=list)  # every date of the parenthetical
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    quote: str = ""


def parse_citation(text: str) -> ParsedCitation:
    """Read one citation's text; raises ``CitationError`` when no law title is found."""
    raw = text.strip()
    rest = raw
    level = ""
    m = _LEVEL.match(rest)
    if m:
        level = m.group(1).strip()
        rest = rest[m.end():]
    span = _title_span(rest)
    if span is None:
        raise CitationError(f"没有书名号《…》中的法规名称：{raw[:40]} / no law title in 《…》")
    title = rest[span[0] + 1:span[1]].strip()
    rest = rest[span[1] + 1:]
    paren = ""
    m = _PAREN.match(rest)
    if m:
        paren = m.group(1).strip()
        rest = rest[m.end():]
    dates = [iso_date(d) for d in _DATE.finditer(paren)]
    cited = ParsedCitation(raw=raw, title=title, level_label=level, parenthetical=paren,
                           version=dates[-1] if dates else None, dates=dates)
    quote_at = _quote_start(rest)
    head = rest if quote_at is None else rest[:quote_at]
    m = _ARTICLE.search(head)
    if m:
        cited.article = chinese_to_int(m.group(1))
        after = head[m.end():]
        p = _PARAGRAPH.match(after)
        if p:
            cited.paragraph = chinese_to_int(p.group(1))
            after = after[p.end():]
        i = _ITEM.match(after)
        if i:
            cited.item = chinese_to_int(i.group(1))
    if quote_at is not None:
        body = rest[quote_at + 1:]
        end = _quote_end(body)
        cited.quote = (body if end is None else body[:end]).strip()
    return cited


def _title_span(text: str) -> tuple[int, int] | None:
    """Positions of the outer 《 and its matching 》 (titles may nest: 浙江省实施《…》办法)."""
    start = text.find("《")
    if start < 0:
        return None
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "《":
            depth += 1
        elif text[i] == "》":
            depth -= 1
            if depth == 0:
                return start, i
    return None


def _quote_start(text: str) -> int | None:
    for i, ch in enumerate(text):
        if ch in _QUOTE_OPEN:
            return i
    return None


def _quote_end(body: str) -> int | None:
    """Index of the quotation's closing mark: the last one in the citation's text."""
    ends = [body.rfind(ch) for ch in _QUOTE_CLOSE]
    end = max(ends)
    return end if end >= 0 else None


def split_citations(cell: str) -> list[str]:
    """Cut a cell into one text per citation: by line, then at a new 【…】 or 《…》 that
    starts after the end of a sentence — never inside a quotation."""
    parts: list[str] = []
    for line in cell.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        start, depth = 0, 0
        for i, ch in enumerate(line):
            if ch == "“":
                depth += 1
            elif ch == "”":
                depth = max(0, depth - 1)
            elif depth == 0 and ch in "；;。" and i + 1 < len(line):
                nxt = line[i + 1:].lstrip()
                if nxt[:1] in "【《[" or _NUMBERED.match(nxt):
                    parts.append(line[start:i + 1].strip())
                    start = i + 1
        parts.append(line[start:].strip())
    out = []
    for p in parts:
        p = _NUMBERED.sub("", p).strip()
        p = p.rstrip("；;")
        if p:
            out.append(p)
    return out


# --- laws by name -------------------------------------------------------------------------

_PREFIXES = ("中华人民共和国", "浙江省")


def _bare(title: str) -> str:
    t = re.sub(r"\s+", "", title)
    t = re.sub(r"[（(][^（(）)]*[）)]$", "", t)  # （试行）, （2017年修正） after a title
    for p in _PREFIXES:
        if t.startswith(p):
            t = t[len(p):]
    return t


class LawIndex:
    """Laws by every name they go by, in three tiers tried in turn: the full title, the
    short title, and both without 中华人民共和国/浙江省 or a trailing （试行）. A name two laws
    share in a tier is settled by the dates cited with it (promulgation or amendment),
    then by which of them is in force; otherwise it matches neither (ambiguous)."""

    def __init__(self, laws: Iterable[Law]):
        self.by_id: dict[str, Law] = {}
        self.tiers: list[dict[str, set[str]]] = [{}, {}, {}]
        for law in laws:
            self.by_id[law.id] = law
            names = ({law.title}, {law.short_title}, {_bare(law.title), _bare(law.short_title)})
            for tier, group in zip(self.tiers, names, strict=True):
                for name in group:
                    name = re.sub(r"\s+", "", name or "")
                    if name:
                        tier.setdefault(name, set()).add(law.id)

    def _candidates(self, title: str) -> set[str]:
        key = re.sub(r"\s+", "", title)
        for tier in self.tiers:
            ids = tier.get(key) or tier.get(_bare(key))
            if ids:
                return ids
        return set()

    def match(self, title: str, dates: Iterable[str] = ()) -> Law | None:
        """The one law ``title`` names (``dates``: ISO dates cited with it), or None."""
        ids = self._candidates(title)
        if len(ids) == 1:
            return self.by_id[next(iter(ids))]
        if not ids:
            return None
        laws = [self.by_id[i] for i in sorted(ids)]
        dates = set(dates)
        if dates:
            dated = [law for law in laws if dates & {law.promulgated, *law.amendments}]
            if len(dated) == 1:
                return dated[0]
        in_force = [law for law in laws if law.status != "repealed"]
        return in_force[0] if len(in_force) == 1 else None

    def ambiguous(self, title: str) -> bool:
        return len(self._candidates(title)) > 1

    def find(self, text: str) -> Law | None:
        """A law by id (``A012``), full or short title."""
        text = text.strip().strip("《》")
        if text in self.by_id:
            return self.by_id[text]
        if text.upper() in self.by_id:
            return self.by_id[text.upper()]
        return self.match(text)
