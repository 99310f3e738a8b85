"""Reading one record file: syntax, the record rules, and its model object.

Layers 1 and 2 of validation live here because they are also what loading needs: a file
that does not parse, or that states things about another subject, must never reach the
site or the API. Each file is read on its own, so one broken file never hides another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pyoxigraph as ox

from . import model
from .diagnostics import Diagnostic, error, warning
from .namespaces import PREFIXES
from .source import MAX_RECORD_BYTES, OversizedFile, SourceFile

CODE_RE = re.compile(r"^\d{12}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass
class RecordResult:
    """What reading one file gave: its model (None if unusable) and its diagnostics.

    ``triples`` are kept only until SHACL has run; they are not cached.
    """

    path: str
    blob: str
    kind: str
    model: object | None = None
    subject: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    triples: list[ox.Triple] | None = None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def find_line(text: str, *needles: str) -> int | None:
    """1-based number of the first line containing any of ``needles``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if any(n in line for n in needles if n):
            return number
    return None


def prefixed(iri: str) -> str:
    """How the canonical writer spells an IRI (``pw:code``), for finding it in a file."""
    best = ""
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = name
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else f"<{iri}>"


def read_record(src: SourceFile) -> RecordResult:
    """Parse one file and apply the record rules (layers 1–2 of validation)."""
    _ = src.data  # read first: a lazily read file's blob id is then that of these bytes
    result = RecordResult(path=src.path, blob=src.blob, kind=src.kind)
    if isinstance(src, OversizedFile):
        result.diagnostics.append(error(
            "file-too-large", src.path,
            f"文件过大（{src.size:,} 字节，上限 {MAX_RECORD_BYTES:,}），未解析。/ File too large "
            f"({src.size:,} bytes, limit {MAX_RECORD_BYTES:,}); not parsed. 修正 Fix: 一个文件只写"
            "一项记录 / keep one record per file."))
        return result
    if not src.data.strip():
        result.diagnostics.append(error(
            "empty-file", src.path,
            "文件为空。/ The file is empty. 修正 Fix: 写入记录内容或删除该文件 / write the record "
            "or delete the file."))
        return result
    try:
        triples = [q.triple for q in ox.parse(src.data, format=ox.RdfFormat.TURTLE)]
    except SyntaxError as exc:
        msg = str(exc.msg if hasattr(exc, "msg") else exc)
        result.diagnostics.append(error(
            "syntax", src.path,
            f"Turtle 语法错误：{msg} / Turtle syntax error: {msg}. 修正 Fix: 检查该行的标点、引号"
            "和结尾的 ' .' / check punctuation, quotes and the final ' .' on that line.",
            line=exc.lineno, column=exc.offset))
        return result
    if not triples:
        result.diagnostics.append(error(
            "empty-file", src.path,
            "文件没有任何三元组。/ The file states no triples. 修正 Fix: 写入记录内容或删除该文件 "
            "/ write the record or delete the file."))
        return result
    result.triples = triples
    if result.kind in model.EXPECTED_TYPE:
        _check_record(src, triples, result)
        _check_todo(src, triples, result)
    return result


#: Field names of the predicates a TODO marker may sit in (``powers new`` writes them).
_TODO_FIELDS = {
    "title": "事项名称 / title", "handlingUnit": "承办机构 / handling unit",
    "quote": "实施依据·条文 / legal basis: quote", "rawText": "实施依据·原文 / legal basis: raw text",
    "condition": "裁量基准·适用条件 / discretion tier: condition",
    "measure": "裁量基准·措施 / discretion tier: measure",
    "description": "责任事项 / responsibility", "accountability": "追责情形 / accountability",
    "accountabilityBasis": "追责依据 / accountability basis", "feeBasis": "收费依据 / fee basis",
    "statusDecision": "决定文件 / deciding document", "prefLabel": "名称 / name",
}


def _check_todo(src: SourceFile, triples: list[ox.Triple], result: RecordResult) -> None:
    """A literal holding "TODO" is text a person still has to write: one warning each."""
    lines: list[str] | None = None
    seen: dict[str, int] = {}
    for t in triples:
        if isinstance(t.object, ox.Literal) and "TODO" in t.object.value:
            if lines is None:
                lines = src.data.decode("utf-8", errors="replace").splitlines()
            needle = t.object.value.split("\n")[0][:60]
            seen[needle] = seen.get(needle, 0) + 1
            hits = [n for n, line in enumerate(lines, start=1) if needle in line]
            line = hits[min(seen[needle], len(hits)) - 1] if hits else None
            local = t.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            field_name = _TODO_FIELDS.get(local, prefixed(t.predicate.value))
            snippet = t.object.value[:40]
            result.diagnostics.append(warning(
                "todo", src.path,
                f"“{field_name.split(' / ')[0]}”尚待填写：{snippet} / {field_name.split(' / ')[-1]} "
                f"is still a TODO. 修正 Fix: 写入实际内容并删去 TODO / write the real text and "
                "remove the TODO marker.",
                line=line,
                field=field_name, value=snippet))


def _check_record(src: SourceFile, triples: list[ox.Triple], result: RecordResult) -> None:
    """One subject per file, named as the file, of the expected type; build the model."""
    text = src.data.decode("utf-8", errors="replace")
    kind = result.kind
    stem = PurePosixPath(src.path).stem
    namespace = model.NAMESPACE_OF_KIND[kind]
    expected = namespace + stem
    subjects = model.named_subjects(triples)
    add = result.diagnostics.append

    if expected not in subjects:
        found = ", ".join(prefixed(s) for s in subjects) or "—"
        add(error(
            "file-name", src.path,
            f"文件名与记录不符：文件 {stem}.ttl 应描述 {prefixed(expected)}，实际为 {found}。/ The "
            f"file name does not match the record: {stem}.ttl must describe {prefixed(expected)}, "
            f"found {found}. 修正 Fix: 把文件改名为记录的编码，或更正主语 / rename the file to the "
            "record's code or correct the subject.",
            line=find_line(text, *(prefixed(s) for s in subjects)), focus=", ".join(subjects)))
    for other in subjects:
        if other != expected and (expected in subjects or len(subjects) > 1):
            add(error(
                "one-subject", src.path,
                f"一个文件只能描述一项记录：本文件还陈述了 {prefixed(other)}。/ A file may describe "
                f"only its own record; this one also states triples about {prefixed(other)}. 修正 "
                "Fix: 删除这些三元组，在对方的文件中修改 / remove them and edit that record's own "
                "file.",
                line=find_line(text, prefixed(other) + "\n", prefixed(other) + " ", other),
                focus=other))
    # every blank node must hang, exactly once, below the record's own subject
    owned = _owned_blank_nodes(triples, expected)
    stray = {t.subject for t in triples if isinstance(t.subject, ox.BlankNode)} - owned
    if stray:
        add(error(
            "one-subject", src.path,
            "文件含有不属于本记录的空白节点。/ The file has blank nodes not owned by its record. "
            "修正 Fix: 把它们写在所属字段的 [ … ] 中 / write them inline inside the field they "
            "belong to."))
    if kind == "power" and not CODE_RE.match(stem):
        add(error(
            "file-name", src.path,
            f"文件名 {stem}.ttl 不是12位基本编码。/ File name {stem}.ttl is not a 12-digit code. "
            "修正 Fix: 以记录的基本编码命名文件（如 330218001000.ttl）/ name the file by the "
            "record's code (e.g. 330218001000.ttl).", field="基本编码 / code"))
    if expected not in subjects:
        return
    table = model.index_triples(triples)
    types = {o.value for o in table[ox.NamedNode(expected)].get(model.RDF_TYPE, [])}
    if model.EXPECTED_TYPE[kind] not in types:
        add(error(
            "record-type", src.path,
            f"记录缺少类型 a {prefixed(model.EXPECTED_TYPE[kind])}。/ The record lacks its type "
            f"a {prefixed(model.EXPECTED_TYPE[kind])}. 修正 Fix: 在主语下加上该类型 / add it "
            "under the subject.", line=find_line(text, prefixed(expected)), field="rdf:type"))
    result.subject = expected
    builder = {"power": model.power_from_triples, "department": model.department_from_triples,
               "law": model.law_from_triples}[kind]
    record = builder(expected, table, src.path)
    result.model = record
    if kind == "power":
        _check_power_file(src, text, record, result)
    elif kind == "department" and not _SLUG_RE.match(stem):
        add(error("file-name", src.path,
                  f"部门文件名 {stem} 只能含小写字母、数字和连字符。/ Department file name {stem} "
                  "may hold only lower-case letters, digits and hyphens. 修正 Fix: 用拼音简称 / "
                  "use a pinyin short name."))


def _check_power_file(src: SourceFile, text: str, power: model.Power, result: RecordResult) -> None:
    stem = PurePosixPath(src.path).stem
    folder = PurePosixPath(src.path).parent.name
    if power.code != stem:
        result.diagnostics.append(error(
            "file-name", src.path,
            f"基本编码 {power.code} 与文件名 {stem}.ttl 不一致。/ Code {power.code} differs from "
            f"the file name {stem}.ttl. 修正 Fix: 使编码、主语与文件名一致 / make the code, the "
            "subject and the file name the same.",
            line=find_line(text, "pw:code"), field="基本编码 / code", value=power.code))
    if power.department and power.department != folder:
        result.diagnostics.append(error(
            "folder", src.path,
            f"记录属于部门 {power.department}，却放在文件夹 {folder}/ 中。/ The record belongs to "
            f"department {power.department} but sits in folder {folder}/. 修正 Fix: 把文件移到 "
            f"data/powers/{power.department}/ / move the file there.",
            line=find_line(text, "pw:department"), field="实施主体 / department"))


def _owned_blank_nodes(triples: list[ox.Triple], root: str) -> set:
    children: dict = {}
    for t in triples:
        if isinstance(t.object, ox.BlankNode):
            children.setdefault(t.subject, []).append(t.object)
    owned: set = set()
    stack = list(children.get(ox.NamedNode(root), []))
    while stack:
        node = stack.pop()
        if node in owned:
            continue
        owned.add(node)
        stack.extend(children.get(node, []))
    return owned

