"""The catalogue of laws and regulations the sample cites (法律法规库).

Each level has its own module with one line per instrument:
``title | issuer | document number | promulgated | in force | amendments | status | articles,liability``
(``-`` for empty). ``amendments`` lists ``YYYY-MM-DD正`` (修正) or ``YYYY-MM-DD订`` (修订).
``articles`` is the number of articles (条) and ``liability`` the first article of the
法律责任 chapter: penalties cite articles from there on, other powers cite articles before it.

Names are real. Dates of national laws, State Council regulations and ministry rules are
the real promulgation and amendment dates where they are well known; dates and numbers of
Zhejiang local instruments and of normative documents are plausible, not verified
(the sample is synthetic). Status: ``amended`` marks an instrument comprehensively revised
after the 2014 list was compiled, so that its 2014 article numbers need re-pointing;
``repealed`` an instrument replaced since (cited only by powers no longer in force).

Ids follow docs/DATA.md §5: a level letter and three digits in catalogue order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import local, national, regulations, rules

LEVELS = {
    "L": ("law", "法律"),
    "A": ("administrative-regulation", "行政法规"),
    "R": ("local-regulation", "地方性法规"),
    "M": ("departmental-rule", "部门规章"),
    "G": ("local-government-rule", "地方政府规章"),
    "N": ("normative-document", "规范性文件"),
}

ISSUERS = {
    "人大": "全国人民代表大会",
    "常委": "全国人民代表大会常务委员会",
    "国务院": "国务院",
    "浙常委": "浙江省人民代表大会常务委员会",
    "浙政府": "浙江省人民政府",
    "浙办": "浙江省人民政府办公厅",
}


@dataclass(frozen=True)
class Law:
    id: str
    key: str                      # how vocabularies refer to it (short title, @year if ambiguous)
    title: str
    short: str
    letter: str
    issuer: str
    number: str | None
    date: str
    in_force: str | None
    amendments: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    status: str = "in-force"
    articles: int = 60
    liability: int = 45

    @property
    def level(self) -> str:
        return LEVELS[self.letter][0]

    @property
    def level_zh(self) -> str:
        return LEVELS[self.letter][1]

    @property
    def kind(self) -> str:
        """How the text calls itself: 本法, 本条例, 本办法, 本规定, 本细则, 本决定."""
        for suffix in ("条例", "办法", "规定", "细则", "决定", "法"):
            if self.title.endswith(suffix) or self.title.endswith(suffix + "（试行）"):
                return suffix
        return "规定"


def _parse(letter: str, table: str) -> list[tuple]:
    rows = []
    for line in table.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) != 8:
            raise ValueError(f"bad law line: {line}")
        rows.append((letter, *cells))
    return rows


def _short(title: str) -> str:
    return title.removeprefix("中华人民共和国")


def _build() -> dict[str, Law]:
    tables = [
        ("L", national.LAWS), ("A", regulations.REGULATIONS), ("R", local.LOCAL_REGULATIONS),
        ("M", rules.RULES), ("G", local.GOVERNMENT_RULES), ("N", local.NORMATIVE),
    ]
    rows = [row for letter, table in tables for row in _parse(letter, table)]
    counts: dict[str, int] = {}
    for row in rows:
        counts[_short(row[1])] = counts.get(_short(row[1]), 0) + 1
    seq: dict[str, int] = {}
    catalogue: dict[str, Law] = {}
    for letter, title, issuer, number, day, in_force, amends, status, size in rows:
        seq[letter] = seq.get(letter, 0) + 1
        short = _short(title)
        key = short if counts[short] == 1 else f"{short}@{day[:4]}"
        arts, liab = (int(x) for x in size.split(","))
        amendments = tuple((a[:10], "修正" if a[10] == "正" else "修订")
                           for a in amends.split() if a != "-")
        law = Law(
            id=f"{letter}{seq[letter]:03d}", key=key, title=title, short=short, letter=letter,
            issuer=ISSUERS.get(issuer, issuer), number=None if number == "-" else number,
            date=day, in_force=None if in_force == "-" else in_force, amendments=amendments,
            status=status if status != "-" else "in-force", articles=arts, liability=liab,
        )
        if key in catalogue:
            raise ValueError(f"duplicate law key {key}")
        catalogue[key] = law
    return catalogue


#: Every law of the catalogue by key (short title, or ``short@year`` when ambiguous).
CATALOGUE: dict[str, Law] = _build()


def law(key: str) -> Law:
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"unknown law {key!r} (see scripts/sample/laws/)") from None
