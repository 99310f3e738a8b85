"""Exports: the registry as a spreadsheet (XLSX, CSV) or as one RDF file (Turtle,
N-Triples, JSON-LD).

Spreadsheets use the project layout (``tables.EXPORT_COLUMNS``): one row per power,
Chinese headers, citations as published text, and the columns ``importer`` needs to
give back the same graph. Output files are reproducible: the same registry gives the
same bytes (blank nodes are labelled by their file, XLSX timestamps are fixed), so their
checksums and ETags change only when the data does. Every file is written to a temporary
name first and renamed into place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox

from . import turtle
from .cells import Codes, power_row
from .jsonld import CONTEXT, to_jsonld
from .model import Power
from .namespaces import PREFIXES
from .snapshot import Snapshot
from .tables import EXPORT_COLUMNS

FORMATS = ("xlsx", "csv", "ttl", "nt", "jsonld")
XLSX_MAX_CELL = 32_767
SHEET_TITLE = "权力清单"
_FIXED_TIME = datetime(2014, 6, 25)  # the list's publication day: a fixed, meaningful stamp


class ExportError(ValueError):
    """The data cannot be written in the asked format (the message names the power)."""


# --- selection ----------------------------------------------------------------------------

def select_powers(snap: Snapshot, department: str | None = None) -> list[Power]:
    """The powers to export, by code; of one department (slug) when given."""
    powers = snap.powers_of_department(department) if department else \
        sorted(snap.powers.values(), key=lambda p: p.code)
    return powers


def record_paths(snap: Snapshot, department: str | None = None) -> list[str]:
    """The files an RDF export holds: the powers (of a department), the departments
    and laws they need, the code lists and the vocabulary; sorted by path."""
    if department:
        powers = select_powers(snap, department)
        laws = {c.law for p in powers for c in p.citations}
        paths = [p.path for p in powers]
        paths += [d.path for d in snap.departments.values() if d.slug == department]
        paths += [law.path for law in snap.laws.values() if law.id in laws]
    else:
        paths = [p.path for p in snap.powers.values()]
        paths += [d.path for d in snap.departments.values()]
        paths += [law.path for law in snap.laws.values()]
    paths += [f.path for f in snap.files.values() if f.kind in ("vocabulary", "ontology")]
    return sorted(set(paths))


# --- spreadsheets --------------------------------------------------------------------------

def table_rows(snap: Snapshot, powers: Iterable[Power], codes: Codes | None = None) -> list[dict]:
    codes = codes or Codes.from_snapshot(snap)
    return [power_row(snap, p, codes, i) for i, p in enumerate(powers, start=1)]


def csv_chunks(rows: Iterable[dict], batch: int = 1000) -> Iterator[bytes]:
    """CSV in UTF-8 with a byte-order mark (so spreadsheet programs read Chinese), in
    pieces of ``batch`` rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")
    writer.writerow([c.header for c in EXPORT_COLUMNS])
    for i, row in enumerate(rows, start=1):
        writer.writerow(["" if row[c.key] is None else row[c.key] for c in EXPORT_COLUMNS])
        if i % batch == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def csv_head() -> bytes:
    """The CSV's byte-order mark and header line (see ``csv_chunks``)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    csv.writer(buf, lineterminator="\r\n").writerow([c.header for c in EXPORT_COLUMNS])
    return buf.getvalue().encode("utf-8")


def csv_row(row: dict) -> bytes:
    """One row of the CSV (see ``csv_chunks``)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(
        ["" if row[c.key] is None else row[c.key] for c in EXPORT_COLUMNS])
    return buf.getvalue().encode("utf-8")


def csv_bytes(rows: list[dict]) -> bytes:
    """The whole CSV (see ``csv_chunks``)."""
    return b"".join(csv_chunks(rows))


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MULTILINE = frozenset({"citations", "citation_keys", "citation_quotes", "tiers",
                        "responsibilities", "accountability", "accountability_basis"})


def xlsx_bytes(rows: list[dict]) -> bytes:
    """An XLSX workbook: the list, then a sheet explaining each column.

    Written with XlsxWriter in its constant-memory mode (rows streamed to a temporary file,
    strings inline; half the time of openpyxl's write-only mode on the shipped list, see
    docs/PERFORMANCE.md), with fixed document dates, so the same rows give the same bytes."""
    return xlsx_workbook(enumerate(rows, start=1))


XLSX_SHEET = "xl/worksheets/sheet1.xml"
ROW_XML = re.compile(rb'<row r="(\d+)"[^>]*>.*?</row>', re.S)


@dataclass
class XlsxParts:
    """A workbook taken apart so its list can be put together from rows: the other
    members (in order), the list sheet's XML before and after its data rows, and the XML
    of each data row written (by sheet row number, 2 = the first power)."""

    members: list[tuple[str, bytes]]
    position: int  # of the list sheet among the members
    head: bytes
    tail: bytes
    rows: dict[int, bytes]


def xlsx_parts(numbered: Iterable[tuple[int, dict]]) -> XlsxParts:
    """Write the header and the given rows (``(n, row)``: the n-th power, in increasing
    order) with XlsxWriter, and take the workbook apart (see ``registry.dumps``)."""
    import zipfile

    data = xlsx_workbook(numbered)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    sheet = next(d for name, d in members if name == XLSX_SHEET)
    first = sheet.index(b"</row>") + len(b"</row>")  # the header row stays in the head
    end = sheet.rindex(b"</sheetData>")
    rows = {int(m.group(1)) - 1: m.group(0) for m in ROW_XML.finditer(sheet, first, end)}
    return XlsxParts([(n, d) for n, d in members if n != XLSX_SHEET],
                     [n for n, _ in members].index(XLSX_SHEET), sheet[:first], sheet[end:], rows)


def xlsx_workbook(numbered: Iterable[tuple[int, dict]]) -> bytes:
    """The XlsxWriter workbook of some numbered rows (see ``xlsx_bytes``)."""
    import xlsxwriter

    with tempfile.TemporaryDirectory(prefix="powers-xlsx-") as tmp:
        path = Path(tmp) / "list.xlsx"
        wb = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "tmpdir": tmp, "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False})
        _fill_workbook(wb, numbered)
        wb.close()
        return path.read_bytes()


def xlsx_sheet_head(parts: XlsxParts, count: int) -> bytes:
    """The list sheet's XML before its data rows, its dimension set to ``count`` rows (the
    sheet of the whole list is put together from rows, see ``registry.dumps``)."""
    last = _column_letter(len(EXPORT_COLUMNS))
    return re.sub(rb'<dimension ref="[^"]*"/>',
                  f'<dimension ref="A1:{last}{count + 1}"/>'.encode(), parts.head, count=1)


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _fill_workbook(wb, numbered: Iterable[tuple[int, dict]]) -> None:
    wb.set_properties({"created": _FIXED_TIME, "author": "powers"})
    ws = wb.add_worksheet(SHEET_TITLE)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                          "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for i, col in enumerate(EXPORT_COLUMNS):
        ws.set_column(i, i, col.width)
    ws.freeze_panes(1, 2)  # C2: the header row and the code and name columns stay in view
    ws.write_row(0, 0, [col.header for col in EXPORT_COLUMNS], head)
    keys = list(enumerate(EXPORT_COLUMNS))
    for r, row in numbered:
        for i, col in keys:
            v = row[col.key]
            if v is None or v == "":
                continue
            if isinstance(v, str):
                if len(v) * 2 > XLSX_MAX_CELL and len(v.encode("utf-16-le")) // 2 > XLSX_MAX_CELL:
                    raise ExportError(
                        f"{row['code']} 的“{col.header}”超过 Excel 单元格上限 {XLSX_MAX_CELL:,} 字符。/ "
                        f"{row['code']}: {col.header_en} exceeds Excel's {XLSX_MAX_CELL:,}-character "
                        "cell limit. 修正 Fix: 导出为 CSV / export as CSV.")
                if _ILLEGAL_XLSX.search(v):
                    raise ExportError(
                        f"{row['code']} 的“{col.header}”含控制字符，无法写入 XLSX。/ {row['code']}: "
                        f"{col.header_en} holds a control character XLSX cannot store. 修正 Fix: "
                        "删除该字符或导出为 CSV / remove it or export as CSV.")
                fmt = wrap if col.key in _MULTILINE else None
                if v.startswith("<r>") and v.endswith("</r>"):
                    # XlsxWriter takes such a string for rich-text XML of its own and writes it
                    # unescaped: as three plain runs it is escaped and reads back the same
                    ws.write_rich_string(r, i, v[:1], v[1:2], v[2:], *([fmt] if fmt else []))
                else:
                    ws.write_string(r, i, v, fmt)
            elif isinstance(v, bool):
                ws.write_boolean(r, i, v)
            else:
                ws.write_number(r, i, v)
    notes = wb.add_worksheet("说明 About")
    notes.set_column(0, 0, 22)
    notes.set_column(1, 1, 28)
    notes.set_column(2, 2, 90)
    lines = [["列 Column", "English", "说明 What a cell holds"],
             *([col.header, col.header_en, col.note] for col in EXPORT_COLUMNS), [],
             ["导入 Import", "", "powers import 本文件.xlsx（按本表结构逐行创建或更新记录 / creates "
              "or updates one record per row）"]]
    # the notes' header and text take the list's two formats, in the list's order: then
    # every workbook numbers its styles alike, however few rows it holds (the list sheet
    # of a dump is put together from the rows of several workbooks)
    for r, line in enumerate(lines):
        for i, v in enumerate(line):
            if v:
                notes.write_string(r, i, v, head if r == 0 else wrap if i == 2 else None)


# --- RDF ------------------------------------------------------------------------------------

_PREFIX_LINE = re.compile(r"^\s*@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>\s*\.\s*$")


@dataclass
class RdfFile:
    """One record file read for a dump: its text and triples."""

    path: str
    text: str
    triples: list[ox.Triple]


def read_rdf(snap: Snapshot, paths: Iterable[str]) -> list[RdfFile]:
    return [RdfFile(p, snap.files[p].data.decode("utf-8"), turtle.parse(snap.files[p].data))
            for p in paths]


def file_triples(snap: Snapshot, paths: Iterable[str]) -> list[RdfFile]:
    """Kept for callers of the first version: the files' text and triples."""
    return read_rdf(snap, paths)


def _verbatim_body(text: str) -> tuple[list[str], str] | None:
    """A file's prefix lines and body when its prefixes are the registry's own (so the
    body can stand in one document with every other file), else None."""
    lines = text.splitlines(keepends=True)
    prefixes, i = [], 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith(("@prefix",
                                                                                      "#"))):
        line = lines[i].strip()
        if line.startswith("@prefix"):
            m = _PREFIX_LINE.match(line)
            if not m or PREFIXES.get(m.group(1) or "") != m.group(2):
                return None
            prefixes.append(f"@prefix {m.group(1)}: <{m.group(2)}> .")
        i += 1
    body = "".join(lines[i:])
    if re.search(r"^\s*(@base|BASE|PREFIX|@prefix)\b", body, re.M | re.I):
        return None
    return prefixes, body


def turtle_piece(f: RdfFile) -> tuple[list[str], str]:
    """A file's prefix lines and body for the one-document Turtle dump: its own text
    (records are already in the canonical layout), or written again when its prefixes are
    not the registry's."""
    return turtle_piece_of(f.text, lambda: f.triples)


def turtle_piece_of(text: str, triples: Callable[[], list[ox.Triple]]) -> tuple[list[str], str]:
    """``turtle_piece`` of a file's text; ``triples()`` (a parse) is asked for only when the
    text must be written again."""
    found = _verbatim_body(text)
    if found is None:
        head, _, body = turtle.serialize(triples()).partition("\n\n")
        found = ([line for line in head.splitlines() if line.startswith("@prefix")], body)
    return found[0], found[1].strip("\n") + "\n"


def turtle_join(pieces: Iterable[tuple[list[str], str]]) -> str:
    prefixes: set[str] = set()
    bodies = []
    for head, body in pieces:
        prefixes.update(head)
        bodies.append(body)
    return "\n".join(sorted(prefixes)) + "\n\n" + "\n".join(bodies)


def turtle_text(files: list[RdfFile]) -> str:
    """One Turtle document of the files, under one prefix header."""
    return turtle_join(turtle_piece(f) for f in files)


_KIND_LETTER = {"powers": "p", "departments": "d", "laws": "l", "vocabularies": "v",
                "ontology": "o"}


def bnode_prefix(path: str) -> str:
    """The label stem of a file's blank nodes in N-Triples: its kind and name
    (``data/powers/jiaotong/330118001000.ttl`` → ``p330118001000``), so labels are unique in
    a dump, the same in every dump, and a file's text does not depend on the others."""
    parts = path.split("/")
    kind = _KIND_LETTER.get(parts[1] if len(parts) > 2 else "", "f")
    raw = parts[-1].rsplit(".", 1)[0]
    if raw.isascii() and raw.isalnum():
        return kind + raw
    # other names are spelt in label characters and told apart by a hash of the path
    # (``M_01`` and ``M-01`` must not share blank nodes)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", raw).strip("-")
    return f"{kind}{stem}-{hashlib.sha1(path.encode()).hexdigest()[:8]}"


def ntriples_piece(f: RdfFile) -> str:
    """A file's N-Triples; its blank nodes ``_:<bnode_prefix>x1``, ``x2`` … in the order they
    first appear. Renamed in the serialized lines by position, never by searching the
    text: a subject is the first token of a line and an object the rest after the
    predicate's IRI, and a literal starts with a quote, so no literal's text is touched.
    (Renaming the terms before serializing took 9 s of a first build at 40,000 records.)"""
    text = ox.serialize(f.triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    if "_:" not in text:
        return text
    names: dict[str, str] = {}
    stem = bnode_prefix(f.path)

    def rename(label: str) -> str:
        found = names.get(label)
        if found is None:
            found = names[label] = f"_:{stem}x{len(names) + 1}"
        return found

    out = []
    for line in text.split("\n"):  # not splitlines: U+2028 and the like stand in literals
        if "_:" in line:
            s, p, o = line.split(" ", 2)
            if s.startswith("_:"):
                s = rename(s)
            if o.startswith("_:"):
                label, _, rest = o.partition(" ")
                o = f"{rename(label)} {rest}"
            line = f"{s} {p} {o}"
        out.append(line)
    return "\n".join(out)


def ntriples_text(files: list[RdfFile]) -> str:
    """N-Triples in file order (reproducible: see ``ntriples_piece``)."""
    return "".join(ntriples_piece(f) for f in files)


def jsonld_piece(f: RdfFile) -> list[str]:
    """A file's nodes for the one-document JSON-LD dump, one compact JSON text each (blank
    nodes nested)."""
    doc = to_jsonld(f.triples)
    doc.pop("@context", None)
    return [json.dumps(n, ensure_ascii=False, separators=(",", ":"))
            for n in doc.pop("@graph", None) or [doc]]


def jsonld_join(pieces: Iterable[list[str]]) -> str:
    lines = ",\n".join(line for piece in pieces for line in piece)
    context = json.dumps(CONTEXT, ensure_ascii=False)
    return f'{{"@context":{context},\n"@graph":[\n{lines}\n]}}\n'


def jsonld_text(files: list[RdfFile]) -> str:
    """One JSON-LD document: a node per record (blank nodes nested), one node a line."""
    return jsonld_join(jsonld_piece(f) for f in files)


# --- entry point ------------------------------------------------------------------------------

def export_bytes(snap: Snapshot, fmt: str, department: str | None = None,
                 codes: Codes | None = None) -> bytes:
    """The registry (or one department) in ``fmt`` (one of ``FORMATS``)."""
    if fmt in ("xlsx", "csv"):
        rows = table_rows(snap, select_powers(snap, department), codes)
        return xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows)
    per_file = read_rdf(snap, record_paths(snap, department))
    if fmt == "ttl":
        return turtle_text(per_file).encode("utf-8")
    if fmt == "nt":
        return ntriples_text(per_file).encode("utf-8")
    if fmt == "jsonld":
        return jsonld_text(per_file).encode("utf-8")
    raise ExportError(f"未知格式 {fmt}，可用 {', '.join(FORMATS)} / unknown format {fmt}; "
                      f"expected one of {', '.join(FORMATS)}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: a web server must be able to read it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(snap: Snapshot, fmt: str, out: Path, department: str | None = None) -> int:
    """Write the export to ``out``; returns the number of powers it holds."""
    write_atomic(out, export_bytes(snap, fmt, department))
    return len(select_powers(snap, department))
