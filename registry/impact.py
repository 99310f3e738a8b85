"""Which powers rest on a law, or on one article of it: what ``powers laws impact`` shows
when a law is amended or repealed, and the per-law counts of ``powers laws list``.

A citation is *outdated* when the law was amended after the version it cites
(``pw:citedVersion`` earlier than the law's last ``pw:amendmentDate``) or the law is
repealed; ``validate`` warns on the same citations (``crossrules``: law-amended,
law-repealed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from .cells import provision
from .lookup import find_law
from .model import Citation, Law, Power
from .snapshot import Snapshot


@dataclass
class CitationHit:
    """One power's citation of the law."""

    code: str
    title: str
    department: str
    department_name: str
    status: str
    provision: str  # 第六十三条第一款
    article: int | None
    paragraph: int | None
    item: int | None
    cited_version: str | None
    outdated: bool
    path: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Impact:
    law: Law
    article: int | None
    hits: list[CitationHit] = field(default_factory=list)

    @property
    def powers(self) -> list[str]:
        return sorted({h.code for h in self.hits})

    @property
    def outdated(self) -> list[CitationHit]:
        return [h for h in self.hits if h.outdated]

    def by_department(self) -> dict[str, int]:
        counts = Counter()
        seen = set()
        for h in self.hits:
            if h.code not in seen:
                seen.add(h.code)
                counts[h.department_name] += 1
        return dict(counts.most_common())

    def to_dict(self) -> dict:
        return {
            "law": self.law.to_dict(),
            "article": self.article,
            "powers": len(self.powers),
            "citations": len(self.hits),
            "outdated": len(self.outdated),
            "by_department": self.by_department(),
            "hits": [h.to_dict() for h in self.hits],
        }


def is_outdated(c: Citation, law: Law) -> bool:
    if law.status == "repealed":
        return True
    return bool(c.cited_version and law.last_amended and c.cited_version < law.last_amended)


def law_impact(snap: Snapshot, law: str, article: int | None = None,
               include_inactive: bool = False) -> Impact:
    """Every citation of ``law`` (id, full or short title), optionally of one article.
    Powers no longer in force are left out unless ``include_inactive``.
    Raises ``lookup.NotFound`` for an unknown law."""
    found = find_law(snap.laws.values(), law)
    impact = Impact(law=found, article=article)
    for p in sorted(snap.powers.values(), key=lambda p: p.code):
        if not include_inactive and not p.in_force:
            continue
        for c in p.citations:
            if c.law != found.id or (article is not None and c.article != article):
                continue
            impact.hits.append(_hit(snap, p, c, found))
    return impact


def _hit(snap: Snapshot, p: Power, c: Citation, law: Law) -> CitationHit:
    dept = snap.departments.get(p.department)
    return CitationHit(
        code=p.code, title=p.title, department=p.department,
        department_name=dept.name if dept else p.department, status=p.status,
        provision=provision(c.article, c.paragraph, c.item), article=c.article,
        paragraph=c.paragraph, item=c.item, cited_version=c.cited_version,
        outdated=is_outdated(c, law), path=p.path)


@dataclass
class LawCount:
    law: Law
    powers: int  # powers in force citing it
    citations: int
    articles: int  # distinct articles cited
    outdated: int  # citations of an older version (or of a repealed law)

    def to_dict(self) -> dict:
        return {"id": self.law.id, "title": self.law.title, "short_title": self.law.short_title,
                "level": self.law.level, "status": self.law.status,
                "last_amended": self.law.last_amended, "powers": self.powers,
                "citations": self.citations, "articles": self.articles,
                "outdated": self.outdated}


def law_counts(snap: Snapshot) -> list[LawCount]:
    """Every law with the number of powers in force citing it, most cited first."""
    powers: dict[str, set[str]] = {law_id: set() for law_id in snap.laws}
    cites: Counter = Counter()
    articles: dict[str, set] = {law_id: set() for law_id in snap.laws}
    outdated: Counter = Counter()
    for p in snap.in_force():
        for c in p.citations:
            law = snap.laws.get(c.law)
            if law is None:
                continue
            powers[c.law].add(p.code)
            cites[c.law] += 1
            articles[c.law].add(c.article)
            if is_outdated(c, law):
                outdated[c.law] += 1
    out = [LawCount(law=snap.laws[i], powers=len(powers[i]), citations=cites[i],
                    articles=len(articles[i]), outdated=outdated[i]) for i in snap.laws]
    out.sort(key=lambda lc: (-lc.powers, lc.law.id))
    return out
