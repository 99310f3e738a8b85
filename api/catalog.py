"""The read side of the registry as the API serves it (no web framework here).

A ``Catalog`` wraps one immutable snapshot. At start-up it renders every power's JSON once
(bytes + ETag), so a lookup by code is a dict lookup; other representations (JSON-LD,
N-Triples) are rendered on first use and kept. Lists filter in memory and page with an
opaque cursor (the last code of the page), so a page never shifts under a client.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
import os
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import pyoxigraph as ox

from registry import present
from registry.cache import RecordCache, code_fingerprint
from registry.jsonld import CONTEXT, to_jsonld
from registry.model import Power
from registry.namespaces import SCHEMES
from registry.snapshot import Snapshot
from registry.turtle import parse

from . import errors

API = "/api"
CODE_RE = re.compile(r"^\d{12}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LAW_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

#: Media types a record can be served as, in our order of preference.
RECORD_TYPES = ("application/json", "application/ld+json", "text/turtle", "application/n-triples")


def dumps(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def etag_of(*parts: bytes | str) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return '"' + h.hexdigest()[:24] + '"'


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


@dataclass
class Representation:
    """Bytes ready to send, with their media type and validators."""

    body: bytes
    media_type: str
    etag: str
    last_modified: float
    raw: dict = field(default_factory=dict, repr=False, compare=False)  # ASGI headers, by use


@dataclass
class Page:
    items: list[bytes]
    count: int
    next_cursor: str | None


def encode_cursor(last_key: str) -> str:
    raw = json.dumps({"after": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, pattern: re.Pattern = CODE_RE) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise errors.InvalidCursor() from None
    if not isinstance(after, str) or not pattern.match(after):
        raise errors.InvalidCursor()
    return after


def check(value: str, pattern: re.Pattern, what: str) -> str:
    """Validate an identifier from a URL before it is used anywhere (no traversal, no junk)."""
    if not pattern.match(value):
        raise errors.InvalidCode(value[:40], what, pattern.pattern.strip("^$"))
    return value


class Catalog:
    """Every power, department, law and code list of one snapshot, ready to serve."""

    def __init__(self, snap: Snapshot, *, root: Path | None = None,
                 modified: float | None = None):
        self.snap = snap
        self.revision = snap.revision
        self.fingerprint = etag_of(*(f"{p}={f.blob}" for p, f in sorted(snap.files.items())))
        self.mtimes = _mtimes(root, snap) if root is not None and modified is None else {}
        self.modified = modified or max(self.mtimes.values(), default=time.time())
        self.codes = sorted(snap.powers)
        self._lock = threading.Lock()
        self._memo: dict[tuple, Representation] = {}
        self.power_json: dict[str, Representation] = {}
        self.summaries: dict[str, bytes] = {}
        for code, (body, summary) in self._rendered(root).items():
            self.power_json[code] = Representation(body, "application/json",
                                                   etag_of(body), self.modified)
            self.summaries[code] = summary
        self.by_department: dict[str, list[str]] = {}
        for code in self.codes:  # in code order
            self.by_department.setdefault(snap.powers[code].department, []).append(code)
        self.citing = snap.powers_citing()
        self.in_force_by_dept = Counter(p.department for p in snap.powers.values() if p.in_force)

    def _rendered(self, root: Path | None) -> dict[str, tuple[bytes, bytes]]:
        """Every power's JSON and summary bytes: rendered now, or read from the cache in
        ``.powers-cache/`` when this snapshot was rendered before by this code."""
        cache = None
        if root is not None:
            cache = RecordCache(root, "api-catalog", _code_fingerprint())
            hit = cache.get("catalog", self.fingerprint)
            if isinstance(hit, dict) and set(hit) == set(self.codes):
                return hit
        snap = self.snap
        out = {}
        for code in self.codes:
            p = snap.powers[code]
            data = present.power_dict(snap, p)
            data["links"] = self._power_links(p)
            out[code] = (dumps(data), dumps(self.summary(p)))
        if cache is not None:
            cache.clear()  # keep only this snapshot's rendering
            cache.put("catalog", self.fingerprint, out)
            cache.save()
        return out

    # --- powers ------------------------------------------------------------------
    @staticmethod
    def _power_links(p: Power) -> dict:
        return {"self": f"{API}/powers/{p.code}", "html": f"/powers/{p.code}/",
                "history": f"{API}/powers/{p.code}/history",
                "department": f"{API}/departments/{p.department}"}

    def summary(self, p: Power) -> dict:
        snap = self.snap
        dept = snap.departments.get(p.department)
        return {
            "code": p.code, "iri": p.iri, "title": p.title, "title_en": p.title_en,
            "power_type": p.power_type,
            "power_type_label": snap.concept_label("power-type", p.power_type),
            "department": p.department, "department_name": dept.name if dept else p.department,
            "levels": p.levels, "status": p.status, "star_rating": p.star_rating,
            "main_item": p.main_item, "url": f"{API}/powers/{p.code}",
        }

    def power(self, code: str) -> Power:
        check(code, CODE_RE, "基本编码 / code")
        p = self.snap.powers.get(code)
        if p is None:
            raise errors.PowerNotFound(code)
        return p

    def power_representation(self, code: str, media_type: str) -> Representation:
        """A power as JSON (precomputed), JSON-LD, Turtle (its file) or N-Triples."""
        p = self.power(code)
        if media_type == "application/json":
            return self.power_json[code]
        return self.file_representation(p.path, media_type)

    def file_representation(self, path: str, media_type: str) -> Representation:
        """A record file as Turtle (its bytes), JSON-LD or N-Triples; cached after first use."""
        key = (path, media_type)
        rep = self._memo.get(key)
        if rep is not None:
            return rep
        src = self.snap.files[path]
        modified = self.mtimes.get(path, self.modified)
        if media_type == "text/turtle":
            body = src.data
        elif media_type == "application/ld+json":
            body = dumps(to_jsonld(parse(src.data)))
        elif media_type == "application/n-triples":
            body = ox.serialize(parse(src.data), format=ox.RdfFormat.N_TRIPLES)
        else:
            raise errors.NotAcceptable(list(RECORD_TYPES))
        rep = Representation(body, media_type, etag_of(src.blob, media_type), modified)
        with self._lock:
            self._memo[key] = rep
        return rep

    def jsonld_node(self, code: str) -> bytes:
        """A power's JSON-LD node without its ``@context`` (for lists)."""
        key = ("node", code)
        rep = self._memo.get(key)
        if rep is None:
            doc = to_jsonld(parse(self.snap.files[self.snap.powers[code].path].data))
            doc.pop("@context", None)
            rep = Representation(dumps(doc), "application/ld+json", "", 0)
            with self._lock:
                self._memo[key] = rep
        return rep.body

    def select(self, *, department: str | None = None, power_type: str | None = None,
               level: str | None = None, status: str | None = "in-force",
               codes: set[str] | None = None) -> list[str]:
        """Codes matching the filters, sorted."""
        powers = self.snap.powers
        out = []
        for code in (self.by_department.get(department, []) if department else self.codes):
            p = powers[code]
            if department and p.department != department:
                continue
            if power_type and p.power_type != power_type:
                continue
            if level and level not in p.levels:
                continue
            if status and status != "all" and p.status != status:
                continue
            if codes is not None and code not in codes:
                continue
            out.append(code)
        return out

    def page(self, selected: list[str], limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        """One page of ``selected`` (sorted codes) after the cursor, and the next cursor."""
        start = 0
        if cursor:
            start = bisect.bisect_right(selected, decode_cursor(cursor))
        chunk = selected[start:start + limit]
        more = start + limit < len(selected)
        return chunk, (encode_cursor(chunk[-1]) if more and chunk else None)

    # --- departments, laws, vocabularies -------------------------------------------
    def departments(self) -> list[dict]:
        out = []
        for slug in sorted(self.snap.departments):
            d = self.snap.departments[slug]
            out.append({"slug": slug, "iri": d.iri, "name": d.name, "name_en": d.name_en,
                        "code": d.code, "category": d.category,
                        "powers": self.in_force_by_dept.get(slug, 0),
                        "url": f"{API}/departments/{slug}"})
        return out

    def department(self, slug: str) -> dict:
        check(slug, SLUG_RE, "部门 / department")
        d = self.snap.departments.get(slug)
        if d is None:
            raise errors.DepartmentNotFound(slug)
        data = d.to_dict()
        mine = [self.snap.powers[c] for c in self.by_department.get(slug, [])]
        by_type = Counter(p.power_type for p in mine if p.in_force)
        data["powers"] = {
            "in_force": sum(by_type.values()),
            "not_in_force": sum(1 for p in mine if not p.in_force),
            "by_type": {k: {"label": self.snap.concept_label("power-type", k), "count": n}
                        for k, n in sorted(by_type.items())},
            "url": f"{API}/powers?department={slug}",
        }
        data["links"] = {"self": f"{API}/departments/{slug}", "html": f"/departments/{slug}/"}
        return data

    def department_path(self, slug: str) -> str:
        self.department(slug)
        return self.snap.departments[slug].path

    def laws(self, level: str | None = None) -> list[dict]:
        out = []
        for law_id in sorted(self.snap.laws):
            law = self.snap.laws[law_id]
            if level and law.level != level:
                continue
            out.append({"id": law_id, "iri": law.iri, "title": law.title,
                        "short_title": law.short_title, "level": law.level,
                        "level_label": self.snap.concept_label("law-level", law.level),
                        "status": law.status, "powers": len(self.citing.get(law_id, [])),
                        "url": f"{API}/laws/{law_id}"})
        return out

    def law(self, law_id: str) -> dict:
        check(law_id, LAW_RE, "法律法规编号 / law id")
        law = self.snap.laws.get(law_id)
        if law is None:
            raise errors.LawNotFound(law_id)
        data = law.to_dict()
        data["level_label"] = self.snap.concept_label("law-level", law.level)
        data["status_label"] = self.snap.concept_label("law-status", law.status)
        powers = []
        for p in self.citing.get(law_id, []):
            provisions = [present.provision_text(c.article, c.paragraph, c.item)
                          for c in p.citations if c.law == law_id]
            item = self.summary(p)
            item["provisions"] = provisions
            powers.append(item)
        data["powers"] = powers
        data["links"] = {"self": f"{API}/laws/{law_id}", "html": f"/laws/{law_id}/"}
        return data

    def law_path(self, law_id: str) -> str:
        self.law(law_id)
        return self.snap.laws[law_id].path

    def vocabularies(self) -> list[dict]:
        out = []
        for name in sorted(self.snap.schemes):
            s = self.snap.schemes[name]
            out.append({"name": name, "iri": s.iri, "label": s.label, "label_en": s.label_en,
                        "concepts": len(s.concepts), "url": f"{API}/vocabularies/{name}"})
        return out

    def vocabulary(self, name: str) -> dict:
        check(name, NAME_RE, "代码表 / vocabulary")
        s = self.snap.schemes.get(name)
        if s is None:
            raise errors.VocabularyNotFound(name)
        return {"name": name, "iri": s.iri, "label": s.label, "label_en": s.label_en,
                "source": s.source, "concepts": [c.to_dict() for c in s.concepts]}

    def vocabulary_path(self, name: str) -> str | None:
        self.vocabulary(name)
        path = f"data/vocabularies/{name}.ttl"
        return path if path in self.snap.files and name in SCHEMES else None

    def stats(self) -> dict:
        data = self.snap.stats()
        label = self.snap.concept_label
        data["labels"] = {
            "by_type": {k: label("power-type", k) for k in data["by_type"]},
            "by_level": {k: label("exercise-level", k) for k in data["by_level"]},
            "by_status": {k: label("status", k) for k in data["by_status"]},
            "by_department": {k: (self.snap.departments[k].name if k in self.snap.departments
                                  else k) for k in data["by_department"]},
        }
        data["revision"] = self.revision
        return data


def _code_fingerprint() -> str:
    """The registry's code plus the code that renders here: a change re-renders."""
    h = hashlib.sha1(code_fingerprint().encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def _mtimes(root: Path, snap: Snapshot) -> dict[str, float]:
    out = {}
    for path in snap.files:
        try:
            out[path] = os.stat(Path(root) / path).st_mtime
        except OSError:
            continue
    return out


def jsonld_list(nodes: list[bytes], extra: dict) -> bytes:
    head = dumps({"@context": CONTEXT, **extra})
    return head[:-1] + b',"@graph":[' + b",".join(nodes) + b"]}"


def json_list(items: list[bytes], extra: dict) -> bytes:
    head = dumps(extra)
    return b'{"items":[' + b",".join(items) + b"]," + head[1:]
