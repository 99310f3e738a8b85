"""Finding records by what people call them: departments by folder name, code or
Chinese name (full, short, alternative, or without 浙江省); laws by id or title."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .citations import LawIndex
from .model import Department, Law


class NotFound(LookupError):
    """Nothing (or more than one thing) answers to a name; the message says which."""


def _key(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")


class DepartmentIndex:
    """Departments by slug, two-digit code and every name they go by."""

    def __init__(self, departments: Iterable[Department]):
        self.departments = sorted(departments, key=lambda d: d.slug)
        self.by_name: dict[str, set[str]] = {}
        self.by_slug = {d.slug: d for d in self.departments}
        for d in self.departments:
            names = {d.slug, d.code, d.name, d.name_en.lower(), *d.alt_names}
            for n in list(names):
                if n.startswith("浙江省"):
                    names.add(n[3:])
                    names.add("省" + n[3:])
            for n in names:
                if n:
                    self.by_name.setdefault(_key(n), set()).add(d.slug)

    def match(self, text: str) -> Department | None:
        """The one department ``text`` names, or None."""
        key = _key(text)
        slugs = self.by_name.get(key) or self.by_name.get(key.lower())
        if slugs and len(slugs) == 1:
            return self.by_slug[next(iter(slugs))]
        return None

    def find(self, text: str) -> Department:
        """Like ``match``, but raises ``NotFound`` with a bilingual message and hints."""
        found = self.match(text)
        if found is not None:
            return found
        hints = [d for d in self.departments if _key(text) and (_key(text) in d.name or
                                                                 d.slug.startswith(_key(text)))]
        hint = "；".join(f"{d.name}（{d.slug}，{d.code}）" for d in hints[:5])
        raise NotFound(
            f"未找到部门“{text}”。/ No department named {text!r}."
            + (f" 是否指 Did you mean: {hint}" if hint else
               " 修正 Fix: 用文件夹名（如 jiaotong）、两位部门代码或中文全称 / use the folder name "
               "(e.g. jiaotong), the two-digit code or the full Chinese name."))


def find_law(laws: Iterable[Law], text: str) -> Law:
    """A law by id (``L012``), full or short title; raises ``NotFound``."""
    index = LawIndex(laws)
    found = index.find(text)
    if found is not None:
        return found
    if index.ambiguous(text.strip("《》")):
        raise NotFound(f"“{text}”可指多部法规，请用编号。/ {text!r} names more than one law; "
                       "use its id (e.g. L012).")
    raise NotFound(f"未找到法规“{text}”。/ No law named {text!r}. 修正 Fix: 用编号（如 L012）、"
                   "全称或简称 / use the id (e.g. L012), the full or the short title.")
