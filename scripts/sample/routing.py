"""Which of a section's laws a power's act or name belongs to.

Each law has a core term: its short title without place, "中华人民共和国" and the generic
tail (管理条例, 暂行办法, 法 …), e.g. 民用爆炸物品安全管理条例 → 民用爆炸物品, 价格法 → 价格.
A power whose act or name contains a core term cites that law first (the longest match
wins; ties go to the law listed first in the section, so national before provincial).
Sections may add explicit routes (``Section.extra["route"]``: term → law key) where the
core term does not occur in the wording.
"""

from __future__ import annotations

from functools import cache

from .laws import Law, law
from .vocab import Section

_TAILS = ("安全管理条例", "监督管理条例", "监督管理办法", "实施细则", "实施条例", "实施办法",
          "暂行条例", "暂行办法", "暂行规定", "管理条例", "管理办法", "管理规定", "条例", "办法",
          "规定", "细则", "法")


@cache
def core(key: str) -> str:
    text = law(key).short.removeprefix("浙江省").removeprefix("中华人民共和国")
    text = text.replace("（试行）", "")
    for tail in _TAILS:
        if text.endswith(tail) and len(text) > len(tail):
            text = text[: -len(tail)]
            break
    return text if len(text) >= 2 else ""


def route(section: Section, text: str, in_force: bool) -> Law | None:
    """The section law the wording points at, if any."""
    best: tuple[int, int, str] | None = None
    routes = [(core(k), k) for k in section.laws] + list(section.extra.get("route", {}).items())
    for position, (term, key) in enumerate(routes):
        if not term or term not in text:
            continue
        if in_force and law(key).status == "repealed":
            continue
        rank = (-len(term), position, key)
        if best is None or rank < best:
            best = rank
    return law(best[2]) if best else None
