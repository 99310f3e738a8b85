"""Exports: the registry as a spreadsheet (XLSX, CSV) or as one RDF file (Turtle,
N-Triples, JSON-LD).

Spreadsheets use the project layout (``tables.EXPORT_COLUMNS``): one row per power,
Chinese headers, citations as published text, and the columns ``importer`` needs to
give back the same graph. Output files are reproducible: the same registry gives the
same bytes (blank nodes are numbered in file order, XLSX timestamps are fixed), so their
checksums and ETags change only when the data does. Every file is written to a temporary
name first and renamed into place.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
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


def csv_bytes(rows: list[dict]) -> bytes:
    """CSV in UTF-8 with a byte-order mark (so spreadsheet programs read Chinese)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.header for c in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow(["" if row[c.key] is None else row[c.key] for c in EXPORT_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[dict]) -> bytes:
    """An XLSX workbook: the list, then a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "powers"
    ws = wb.create_sheet(SHEET_TITLE)
    for i, col in enumerate(EXPORT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "C2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for col in EXPORT_COLUMNS:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        header.append(cell)
    ws.append(header)
    multiline = {"citations", "citation_keys", "citation_quotes", "tiers", "responsibilities",
                 "accountability", "accountability_basis"}
    for row in rows:
        values = []
        for col in EXPORT_COLUMNS:
            v = row[col.key]
            if isinstance(v, str):
                if len(v) > XLSX_MAX_CELL:
                    raise ExportError(
                        f"{row['code']} 的“{col.header}”超过 Excel 单元格上限 {XLSX_MAX_CELL:,} 字符。/ "
                        f"{row['code']}: {col.header_en} exceeds Excel's {XLSX_MAX_CELL:,}-character "
                        "cell limit. 修正 Fix: 导出为 CSV / export as CSV.")
                if ILLEGAL_CHARACTERS_RE.search(v):
                    raise ExportError(
                        f"{row['code']} 的“{col.header}”含控制字符，无法写入 XLSX。/ {row['code']}: "
                        f"{col.header_en} holds a control character XLSX cannot store. 修正 Fix: "
                        "删除该字符或导出为 CSV / remove it or export as CSV.")
                if v == "":
                    v = None
            if col.key in multiline and v:
                cell = WriteOnlyCell(ws, value=v)
                cell.alignment = wrap
                values.append(cell)
            else:
                values.append(v)
        ws.append(values)
    notes = wb.create_sheet("说明 About")
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 28
    notes.column_dimensions["C"].width = 90
    notes.append(["列 Column", "English", "说明 What a cell holds"])
    for col in EXPORT_COLUMNS:
        notes.append([col.header, col.header_en, col.note])
    notes.append([])
    notes.append(["导入 Import", "", "powers import 本文件.xlsx（按本表结构逐行创建或更新记录 / creates "
                  "or updates one record per row）"])
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip_times(buf.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same ZIP with every entry dated 1980-01-01 and the workbook's modification time
    fixed (reproducible bytes)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + _FIXED_TIME.isoformat().encode() + rb"Z\g<2>", data)
            dst.writestr(fixed, data)
    return out.getvalue()


# --- RDF ------------------------------------------------------------------------------------

_PREFIX_LINE = re.compile(r"^\s*@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>\s*\.\s*$")
_BNODE_LABEL = re.compile(r"_:([A-Za-z0-9]+)")


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


def turtle_text(files: list[RdfFile]) -> str:
    """One Turtle document: each file's own text (records are already in the canonical
    layout) under one prefix header; a file with other prefixes is written again."""
    prefixes: set[str] = set()
    bodies = []
    for f in files:
        found = _verbatim_body(f.text)
        if found is None:
            head, _, body = turtle.serialize(f.triples).partition("\n\n")
            found = ([line for line in head.splitlines() if line.startswith("@prefix")], body)
        prefixes.update(found[0])
        bodies.append(found[1].strip("\n") + "\n")
    return "\n".join(sorted(prefixes)) + "\n\n" + "\n".join(bodies)


def ntriples_text(files: list[RdfFile]) -> str:
    """N-Triples in file order; blank nodes numbered ``b1``, ``b2`` … so that the same
    registry gives the same bytes."""
    out = []
    counter = 0
    for f in files:
        names: dict[str, str] = {}

        def label(m: re.Match, names=names) -> str:
            nonlocal counter
            if m.group(1) not in names:
                counter += 1
                names[m.group(1)] = f"b{counter}"
            return "_:" + names[m.group(1)]

        text = ox.serialize(f.triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        out.append(_BNODE_LABEL.sub(label, text) if "_:" in text else text)
    return "".join(out)


def jsonld_text(files: list[RdfFile]) -> str:
    """One JSON-LD document: a node per record (blank nodes nested), one node a line."""
    nodes = []
    for f in files:
        doc = to_jsonld(f.triples)
        doc.pop("@context", None)
        nodes += doc.pop("@graph", None) or [doc]
    lines = ",\n".join(json.dumps(n, ensure_ascii=False, separators=(",", ":")) for n in nodes)
    context = json.dumps(CONTEXT, ensure_ascii=False)
    return f'{{"@context":{context},\n"@graph":[\n{lines}\n]}}\n'


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
