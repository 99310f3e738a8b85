"""``powers import``: a department's spreadsheet to validated records, all or nothing.

Steps, each reported row by row:

1. **Read** the sheet (XLSX or CSV). The header row is found among the first rows (titles
   above it are skipped); merged cells give their value to every cell they cover; empty
   rows are skipped.
2. **Map** columns to fields by the layout (``tables.LAYOUTS``, detected or named).
   Departments and laws are matched by name (full, short, alternative); what matches
   nothing is reported. Citation text is read into law, 条/款/项 and quote, keeping the
   raw text.
3. **Merge** each row into the record it names (by code, else by department and name)
   or into a new record with the next free code. In the project layout an empty cell
   empties the field; in the official layouts, which hold only some fields, an empty or
   absent column leaves the field as it was.
4. **Validate** the would-be records (all four layers, against the rest of the registry).
5. **Write** only if no row failed and validation found no error: every file is first
   written to a temporary file, then all are renamed into place.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

from .cells import (
    CellError,
    Codes,
    parse_bool,
    parse_citation_key,
    parse_date,
    parse_int,
    parse_responsibility,
    parse_tier,
    split_lines,
)
from .citations import CitationError, LawIndex, parse_citation, split_citations
from .diagnostics import Diagnostic
from .loader import default_jobs
from .lookup import DepartmentIndex, NotFound
from .model import Citation, DiscretionTier, Power, Responsibility
from .newrecord import (
    TODO_ACCOUNTABILITY,
    TODO_HANDLING_UNIT,
    TODO_QUOTE,
    TODO_RESPONSIBILITY,
    next_code,
    used_codes,
)
from .powerwriter import power_path, power_text, write_files
from .present import FIELD_LABELS
from .snapshot import Snapshot, load_snapshot
from .source import SourceFile, working_tree
from .tables import LAYOUTS, Layout, detect_layout, match_columns

HEADER_SEARCH_ROWS = 20
CODE_RE = re.compile(r"^\d{12}$")
_MODEL_FIELDS = [k for k in FIELD_LABELS if k != "code"]


class SheetError(ValueError):
    """The file cannot be imported at all (unreadable, no header row, unknown layout)."""


# --- reading sheets ---------------------------------------------------------------------------

@dataclass
class Sheet:
    headers: list[object]
    header_row: int
    rows: list[tuple[int, list[object]]]  # (row number as the sheet shows it, values)
    name: str = ""


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_sheet(path: Path, layout: Layout | None = None) -> tuple[Sheet, Layout]:
    """The table of an XLSX or CSV file and its layout (given or detected)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grids = _xlsx_grids(path)
    elif suffix in (".csv", ".txt"):
        grids = [("", _csv_grid(path))]
    else:
        raise SheetError(f"{path.name}：只能导入 .xlsx 或 .csv 文件。/ Only .xlsx and .csv files "
                           "can be imported.")
    for name, grid in grids:
        for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
            found = layout if layout is not None and _has_required(layout, row) else (
                detect_layout(row) if layout is None else None)
            if found is not None:
                rows = [(n + 1, values) for n, values in enumerate(grid) if n > i]
                return Sheet(headers=list(row), header_row=i + 1, rows=rows, name=name), found
    if layout is not None:
        found_keys: set[str] = set()
        for _, grid in grids:
            for row in grid[:HEADER_SEARCH_ROWS]:
                found_keys |= set(match_columns(layout, row)[0])
        missing = [layout.columns[k][0] for k in layout.required if k not in found_keys]
        raise SheetError(
            f"表中缺少“{layout.name}”必需的列：{'、'.join(missing)}。/ The sheet lacks columns the "
            f"{layout.name} layout needs: {', '.join(missing)}. 修正 Fix: 补上这些列，或用 --layout "
            "选择其他格式 / add them or choose another --layout.")
    raise SheetError(
        "在前20行中找不到可识别的表头。/ No known header row in the first 20 rows. 修正 Fix: "
        f"表头须符合以下格式之一：{'、'.join(LAYOUTS)} / the header must match one of the layouts "
        "(docs/SPREADSHEETS.md); or name it with --layout.")


def _has_required(layout: Layout, row: list[object]) -> bool:
    found, _ = match_columns(layout, row)
    return all(k in found for k in layout.required)


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _xlsx_grids(path: Path) -> list[tuple[str, list[list[object]]]]:
    """Every sheet's cell values; a merged range gives its value to every cell it covers.

    Sheets are read in openpyxl's read-only (streaming) mode, which is several times
    faster but does not report merged ranges; those are read from the sheet's XML.
    """
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
        raise SheetError(f"{path.name}：无法读取 XLSX 文件（{type(exc).__name__}）。/ Cannot read "
                         f"the XLSX file: {exc}") from exc
    grids = []
    try:
        for ws in wb.worksheets:
            grid = [list(r) for r in ws.iter_rows(values_only=True)]
            for r1, c1, r2, c2 in _merged_ranges(ws):
                if r1 - 1 >= len(grid):
                    continue
                top = grid[r1 - 1]
                value = top[c1 - 1] if c1 - 1 < len(top) else None
                for r in range(r1 - 1, min(r2, len(grid))):
                    row = grid[r]
                    if len(row) < c2:
                        row.extend([None] * (c2 - len(row)))
                    for c in range(c1 - 1, c2):
                        row[c] = value
            grids.append((ws.title, grid))
    finally:
        wb.close()
    return grids


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each merged range, 1-based."""
    try:
        with ws.parent._archive.open(ws._worksheet_path) as fh:
            data = fh.read()
    except (AttributeError, KeyError, OSError):
        return []
    if b"mergeCell" not in data:
        return []
    return [(int(r1), _column_index(c1), int(r2), _column_index(c2))
            for c1, r1, c2, r2 in _MERGE_REF.findall(data)]


def _csv_grid(path: Path) -> list[list[object]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError(f"{path.name}：无法识别的文本编码（应为 UTF-8 或 GB18030）。/ Unknown text "
                           "encoding (expected UTF-8 or GB18030).")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), dialect)]


# --- reports ----------------------------------------------------------------------------------

@dataclass
class RowReport:
    """What one row (or group of rows) did: created, updated, unchanged, error."""

    row: int
    action: str
    code: str = ""
    title: str = ""
    path: str = ""
    fields: list[str] = field(default_factory=list)  # changed fields (updates)
    messages: list[str] = field(default_factory=list)  # errors and notes

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportReport:
    source: str
    layout: str
    sheet: str = ""
    header_row: int = 0
    rows: list[RowReport] = field(default_factory=list)
    empty_rows: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unmatched_departments: list[str] = field(default_factory=list)
    unmatched_laws: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # validation of the result
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return self.count("error") == 0 and not self.errors

    def to_dict(self) -> dict:
        return {
            "source": self.source, "layout": self.layout, "sheet": self.sheet,
            "header_row": self.header_row, "ok": self.ok, "dry_run": self.dry_run,
            "counts": {a: self.count(a) for a in ("created", "updated", "unchanged", "error")},
            "empty_rows": self.empty_rows,
            "rows": [r.to_dict() for r in self.rows],
            "unknown_columns": self.unknown_columns, "ignored_columns": self.ignored_columns,
            "unmatched_departments": self.unmatched_departments,
            "unmatched_laws": self.unmatched_laws,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "written": self.written, "removed": self.removed,
        }


# --- rows to fields ---------------------------------------------------------------------------

class RowError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class Entry:
    """One power as the sheet describes it: the fields it sets and where they came from."""

    row: int
    rows: list[int]
    code: str | None
    department: str | None
    title: str | None
    patch: dict[str, object]
    sub_of_title: str | None = None  # 权责清单: the main item's name, for a sub-item row


class Context:
    def __init__(self, snap: Snapshot, layout: Layout, sheet: Sheet, department: str | None):
        self.snap = snap
        self.layout = layout
        self.sheet = sheet
        self.codes = Codes.from_snapshot(snap)
        self.depts = DepartmentIndex(snap.departments.values())
        self.laws = LawIndex(snap.laws.values())
        self.columns, self.unknown = match_columns(layout, sheet.headers)
        self.default_department = department
        self.unmatched_departments: dict[str, None] = {}
        self.unmatched_laws: dict[str, None] = {}
        self.project = layout.name == "权力清单"

    def where(self, row: int, key: str) -> str:
        i = self.columns[key]
        header = str(self.sheet.headers[i]).strip()
        return f"第{row}行 {column_letter(i)}列（{header}）/ row {row}, column {column_letter(i)}"

    def cell(self, values: list[object], key: str) -> object:
        i = self.columns.get(key)
        if i is None or i >= len(values):
            return None
        v = values[i]
        if isinstance(v, str):
            v = v.strip()
            return v if v else None
        return v


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _code_text(value: object) -> str:
    """A code cell: '330218001000', 330218001000, 330218001000.0 → '330218001000'."""
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"基本编码应为12位数字，实为 {value} / a code is 12 digits, got {value}")
        value = int(value)
    text = str(value).strip().replace(" ", "")
    if not CODE_RE.match(text):
        raise CellError(f"基本编码应为12位数字，实为“{text}” / a code is 12 digits, got {text!r}")
    return text


def _read_entry(ctx: Context, row: int, values: list[object]) -> Entry:
    """One row → Entry (raises RowError naming row and column of every bad cell)."""
    errors: list[str] = []
    patch: dict[str, object] = {}
    cell = ctx.cell

    def guard(key: str, fn):
        try:
            return fn()
        except (CellError, CitationError, NotFound, ValueError) as exc:
            errors.append(f"{ctx.where(row, key)}：{exc}")
            return None

    code = None
    if cell(values, "code") is not None:
        code = guard("code", lambda: _code_text(cell(values, "code")))
    elif ctx.project:
        errors.append(f"{ctx.where(row, 'code')}：缺少基本编码 / the code is missing")

    dept = None
    raw_dept = cell(values, "department")
    if raw_dept is not None:
        found = ctx.depts.match(_text(raw_dept))
        if found is None:
            ctx.unmatched_departments[_text(raw_dept)] = None
            errors.append(f"{ctx.where(row, 'department')}：未找到部门“{_text(raw_dept)}” / no "
                          f"department named {_text(raw_dept)!r}")
        else:
            dept = found.slug
    elif ctx.default_department:
        dept = ctx.default_department

    title = _text(cell(values, "title")) or None
    sub_title = _text(cell(values, "sub_title")) or None
    sub_of = None
    if sub_title and title and sub_title != title:
        sub_of, title = title, sub_title
    if title:
        patch["title"] = title
    elif "title" in ctx.columns and (ctx.project or code is None):
        errors.append(f"{ctx.where(row, 'title')}：缺少事项名称 / the name is missing")

    if "power_type" in ctx.columns:
        raw = cell(values, "power_type")
        if raw is not None:
            key = ctx.codes.key("power-type", _text(raw)) or ctx.codes.key(
                "power-type", re.sub(r"^\d+\s*", "", _text(raw)))
            if key is None:
                errors.append(f"{ctx.where(row, 'power_type')}：未知的事项类型“{_text(raw)}” / "
                              f"unknown power type {_text(raw)!r}")
            else:
                patch["power_type"] = key

    if ctx.project:
        _project_fields(ctx, row, values, patch, errors, guard)
    else:
        _official_fields(ctx, row, values, patch, errors, guard)
    if errors:
        raise RowError(errors)
    return Entry(row=row, rows=[row], code=code, department=dept, title=title, patch=patch,
                 sub_of_title=sub_of)


def _lines_cell(ctx: Context, values, key: str) -> list[str]:
    v = ctx.cell(values, key)
    return split_lines(_text(v)) if v is not None else []


def _project_fields(ctx: Context, row: int, values, patch: dict, errors: list, guard) -> None:
    cell, codes = ctx.cell, ctx.codes
    has = ctx.columns.__contains__
    for key in ("title_en", "handling_unit", "fee_basis", "status_decision"):
        if has(key):
            patch[key] = _text(cell(values, key))
    if has("main_item"):
        v = cell(values, "main_item")
        patch["main_item"] = guard("main_item", lambda: _code_text(v)) if v is not None else None
    for key, scheme in (("levels", "exercise-level"), ("service_objects", "service-object")):
        if has(key):
            found, unknown = codes.keys_in(scheme, _text(cell(values, key)))
            if unknown:
                errors.append(f"{ctx.where(row, key)}：无法识别“{'、'.join(unknown)}” / unknown "
                              f"value {', '.join(unknown)}")
            patch[key] = sorted(found, key=lambda k: (len(k), k))
    for key in ("star_rating", "statutory_time_limit", "promised_time_limit"):
        if has(key):
            patch[key] = guard(key, lambda key=key: parse_int(cell(values, key),
                                                              FIELD_LABELS[key][0]))
    if patch.get("star_rating") is not None and not 1 <= patch["star_rating"] <= 5:
        errors.append(f"{ctx.where(row, 'star_rating')}：星级应为1–5 / the rating is 1 to 5")
    if has("charges_fee"):
        patch["charges_fee"] = guard("charges_fee", lambda: parse_bool(cell(values, "charges_fee")))
    if has("citations") or has("citation_keys"):
        cites = guard("citations", lambda: _project_citations(ctx, row, values))
        if cites is not None:
            patch["citations"] = cites
    if has("tiers"):
        tiers = []
        for i, line in enumerate(_lines_cell(ctx, values, "tiers"), start=1):
            t = guard("tiers", lambda line=line: parse_tier(line, codes))
            if t is not None:
                t.order = i
                tiers.append(t)
        patch["tiers"] = tiers
    if has("responsibilities"):
        patch["responsibilities"] = _responsibilities(ctx, row, values, errors, guard)
    for key in ("accountability", "accountability_basis"):
        if has(key):
            patch[key] = sorted(set(_lines_cell(ctx, values, key)))
    if has("status"):
        raw = cell(values, "status")
        key = codes.key("status", _text(raw)) if raw is not None else None
        if raw is not None and key is None:
            errors.append(f"{ctx.where(row, 'status')}：未知的状态“{_text(raw)}” / unknown status")
        patch["status"] = key or ("in-force" if raw is None else "")
    if has("status_date"):
        patch["status_date"] = guard("status_date", lambda: parse_date(cell(values, "status_date")))
    if has("successors"):
        succ = []
        for part in re.split(r"[、,，;；\s]+", _text(cell(values, "successors"))):
            if part:
                c = guard("successors", lambda part=part: _code_text(part))
                if c:
                    succ.append(c)
        patch["successors"] = sorted(set(succ))


def _responsibilities(ctx: Context, row: int, values, errors: list, guard) -> list:
    out = []
    for line in _lines_cell(ctx, values, "responsibilities"):
        r = guard("responsibilities", lambda line=line: parse_responsibility(line, ctx.codes))
        if r is not None:
            r.order = len(out) + 1
            out.append(r)
    return out


def _project_citations(ctx: Context, row: int, values) -> list[Citation]:
    raws = _lines_cell(ctx, values, "citations")
    keys = _lines_cell(ctx, values, "citation_keys")
    quotes = _lines_cell(ctx, values, "citation_quotes") if "citation_quotes" in ctx.columns \
        else None
    if not keys:
        return _official_citations(ctx, row, values, key="citations", existing=None)
    if raws and len(raws) != len(keys):
        raise CellError(f"实施依据有 {len(raws)} 行而依据条款有 {len(keys)} 行，须一一对应 / "
                        f"{len(raws)} citations but {len(keys)} cited provisions")
    if quotes is not None and len(quotes) not in (0, len(keys)):
        raise CellError(f"依据条文有 {len(quotes)} 行而依据条款有 {len(keys)} 行 / {len(quotes)} "
                        f"quotes for {len(keys)} provisions")
    out = []
    for i, line in enumerate(keys):
        law_id, c, said = parse_citation_key(line)
        if law_id is None or law_id not in ctx.snap.laws:
            law = ctx.laws.match(said.title, said.dates)
            if law is None:
                ctx.unmatched_laws[said.title] = None
                raise CellError(f"未找到法规《{said.title}》/ no law titled {said.title!r}")
            law_id = law.id
        c.law = law_id
        c.order = i + 1
        c.raw_text = raws[i] if raws else ""
        if quotes:
            c.quote = quotes[i]
        elif c.raw_text:
            c.quote = parse_citation(c.raw_text).quote
        out.append(c)
    return out


def _official_citations(ctx: Context, row: int, values, key: str,
                        existing: Power | None) -> list[Citation]:
    cell = ctx.cell(values, key)
    texts = split_citations(_text(cell)) if cell is not None else []
    old = existing.citations if existing else []
    by_raw = {c.raw_text: c for c in old}
    by_provision = {(c.law, c.article, c.paragraph, c.item): c for c in old}
    out = []
    for text in texts:
        known = by_raw.get(text)
        if known is not None:  # the same text: keep the curated citation as it is
            out.append(replace(known, order=len(out) + 1))
            continue
        parsed = parse_citation(text)
        law = ctx.laws.match(parsed.title, parsed.dates)
        if law is None:
            ctx.unmatched_laws[parsed.title] = None
            raise CellError(f"未找到法规《{parsed.title}》/ no law titled {parsed.title!r}")
        if parsed.article is None:
            raise CellError(f"《{parsed.title}》未写明条款（第X条）/ no article (第X条) cited")
        known = by_provision.get((law.id, parsed.article, parsed.paragraph, parsed.item))
        if known is not None and not parsed.quote:  # same provision, no new quote: keep it
            out.append(replace(known, order=len(out) + 1))
            continue
        # the version cited: the last date named with the title; a law never amended has
        # only one version; otherwise unknown (and then no amendment check applies)
        version = parsed.version or (law.promulgated if not law.amendments else None)
        out.append(Citation(order=len(out) + 1, law=law.id, article=parsed.article,
                            paragraph=parsed.paragraph, item=parsed.item,
                            quote=parsed.quote or TODO_QUOTE, raw_text=text,
                            cited_version=version))
    return out


_LEVEL_WORDS = (("国家", "1"), ("国务院", "1"), ("省", "2"), ("设区的市", "3"), ("市", "3"),
                ("县", "4"), ("乡", "5"), ("镇", "5"), ("街道", "5"), ("村", "6"), ("社区", "6"))


def levels_from_organ(text: str) -> list[str]:
    """实施机关 text → exercise levels: 省级人民政府交通运输主管部门；设区的市级… → 2, 3."""
    found = set()
    for part in re.split(r"[；;、，,和及]", text):
        for word, level in _LEVEL_WORDS:
            if word in part:
                found.add(level)
                break
    return sorted(found, key=int)


def _official_fields(ctx: Context, row: int, values, patch: dict, errors: list, guard) -> None:
    cell, codes = ctx.cell, ctx.codes
    if ctx.cell(values, "citations") is not None:
        patch["citations_cell"] = values  # parsed at merge time (keeps curated citations)
    if "responsibilities" in ctx.columns and cell(values, "responsibilities") is not None:
        lines = []
        for line in split_lines(_text(cell(values, "responsibilities"))):
            lines += [p for p in re.split(r"(?=(?:^|\s)\d+\s*[.、．])", line) if p.strip()]
        out = []
        for line in lines:
            r = guard("responsibilities", lambda line=line: parse_responsibility(line, codes))
            if r is not None:
                r.order = len(out) + 1
                out.append(r)
        patch["responsibilities"] = out
    for key in ("accountability", "accountability_basis"):
        if key in ctx.columns and cell(values, key) is not None:
            items = [re.sub(r"^\s*\d+\s*[.、．]\s*", "", s).strip()
                     for s in split_lines(_text(cell(values, key)))]
            patch[key] = sorted({s for s in items if s})
    if "implementing_organ" in ctx.columns and cell(values, "implementing_organ") is not None:
        levels = levels_from_organ(_text(cell(values, "implementing_organ")))
        if levels:
            patch["levels"] = levels
    if "tier_condition" in ctx.columns:
        cond = _text(cell(values, "tier_condition"))
        rng = _text(cell(values, "tier_range"))
        if cond or rng:
            t = guard("tier_condition", lambda: tier_from_text(cond, rng, codes))
            if t is not None:
                patch["tiers"] = [t]


_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万)?\s*元")
_MULTIPLE = re.compile(r"(\d+(?:\.\d+)?)\s*倍")


def tier_from_text(condition: str, amount: str, codes: Codes) -> DiscretionTier:
    """裁量基准 cells → a tier: ``从轻：情节轻微……`` and ``处1万元以上2万元以下罚款``."""
    m = re.match(r"^\s*([^：:\n]{1,8}?)\s*[：:\n]\s*(.*)$", condition, re.S)
    tier = codes.key("discretion-tier", m.group(1)) if m else None
    text = m.group(2).strip() if m and tier else condition
    if tier is None:
        names = sorted(codes.names.get("discretion-tier", {}), key=len, reverse=True)
        head = re.sub(r"\s+", "", condition)[:8]
        hit = next((n for n in names if head.startswith(n)), None)
        if hit is None:
            raise CellError(f"无法识别裁量阶次“{condition[:12]}”，应以 不予处罚/减轻/从轻/一般/从重 开头 / "
                            "the condition must start with a tier name")
        tier = codes.names["discretion-tier"][hit]
        text = re.sub(r"\s+", "", condition)[len(hit):].lstrip("：:，, ")
    t = DiscretionTier(order=0, tier=tier, condition=text or condition)
    amounts = [(float(v) * (10000 if wan else 1), amount[m_.end():m_.end() + 2])
               for m_ in _AMOUNT.finditer(amount) for v, wan in [m_.groups()]]
    if len(amounts) >= 2:
        t.fine_min, t.fine_max = int(amounts[0][0]), int(amounts[1][0])
    elif len(amounts) == 1:
        value, after = amounts[0]
        if "以上" in after or "起" in after:
            t.fine_min = int(value)
        else:
            t.fine_max = int(value)
    mults = [float(v) for v in _MULTIPLE.findall(amount)]
    if len(mults) >= 2:
        t.gains_multiple_min, t.gains_multiple_max = mults[0], mults[1]
    elif len(mults) == 1:
        t.gains_multiple_max = mults[0]
    if not amounts and not mults and amount:
        t.measure = amount
    return t


# --- grouping and merging ---------------------------------------------------------------------

def _entries(ctx: Context, report: ImportReport) -> list[Entry]:
    entries: list[Entry] = []
    by_code: dict[str, Entry] = {}
    for row, values in ctx.sheet.rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            report.empty_rows += 1
            continue
        try:
            entry = _read_entry(ctx, row, values)
        except RowError as exc:
            report.rows.append(RowReport(row=row, action="error", messages=exc.messages))
            continue
        if ctx.layout.rows_per_power and entry.code and entry.code in by_code:
            first = by_code[entry.code]
            first.rows.append(row)
            tiers = entry.patch.get("tiers") or []
            first.patch.setdefault("tiers", [])
            first.patch["tiers"] += tiers
            continue
        if entry.code and entry.code in by_code:
            report.rows.append(RowReport(
                row=row, action="error", code=entry.code,
                messages=[f"第{row}行：基本编码 {entry.code} 已在第{by_code[entry.code].row}行出现 / "
                          f"code {entry.code} already on row {by_code[entry.code].row}"]))
            continue
        if entry.code:
            by_code[entry.code] = entry
        entries.append(entry)
    return entries


def _changed_fields(old: Power | None, new: Power) -> list[str]:
    if old is None:
        return []
    return [k for k in _MODEL_FIELDS if getattr(old, k) != getattr(new, k)]


def _skeleton_fields(power: Power, codes: Codes) -> None:
    """Fill what a new record needs and the sheet did not give (TODO where text is due)."""
    if not power.handling_unit:
        power.handling_unit = TODO_HANDLING_UNIT
    if not power.levels:
        power.levels = ["2"]
    if not power.status:
        power.status = "in-force"
    if not power.responsibilities:
        power.responsibilities = [
            Responsibility(order=i, stage=s, description=TODO_RESPONSIBILITY.format(
                stage=codes.label("responsibility-stage", s)))
            for i, s in enumerate(codes.stages_of_type.get(power.power_type, []), start=1)]
    if not power.accountability:
        power.accountability = [TODO_ACCOUNTABILITY]
    if power.power_type == "01" and power.statutory_time_limit is None:
        power.statutory_time_limit = 20


@dataclass
class Plan:
    """What an import would write: new texts by path, paths to remove."""

    writes: dict[str, str] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)


def plan_import(root: Path, snap: Snapshot, path: Path, layout_name: str = "auto",
                department: str | None = None) -> tuple[ImportReport, Plan]:
    """Read the sheet and work out every record change, writing nothing."""
    layout = None if layout_name in ("auto", "", None) else LAYOUTS.get(layout_name)
    if layout_name not in ("auto", "", None) and layout is None:
        raise SheetError(f"未知的表格式“{layout_name}”；可用：{'、'.join(LAYOUTS)}、auto。/ Unknown "
                           "layout.")
    sheet, layout = read_sheet(path, layout)
    dept_slug = None
    if department:
        try:
            dept_slug = DepartmentIndex(snap.departments.values()).find(department).slug
        except NotFound as exc:
            raise SheetError(str(exc)) from exc
    ctx = Context(snap, layout, sheet, dept_slug)
    report = ImportReport(source=str(path), layout=layout.name, sheet=sheet.name,
                          header_row=sheet.header_row)
    report.unknown_columns = ctx.unknown
    report.ignored_columns = [layout.columns[k][0] for k in layout.ignored if k in ctx.columns]
    plan = Plan()
    used = used_codes(root, snap)
    by_title: dict[tuple[str, str], Power] = {}
    for p in snap.powers.values():
        by_title.setdefault((p.department, p.title), p)
    new_by_title: dict[tuple[str, str], str] = {}
    pending: list[Power] = []

    for entry in _entries(ctx, report):
        rr = RowReport(row=entry.row, action="", code=entry.code or "", title=entry.title or "")
        if len(entry.rows) > 1:
            rr.messages.append(f"第{entry.rows[0]}–{entry.rows[-1]}行描述同一事项 / rows "
                               f"{entry.rows[0]}–{entry.rows[-1]} describe one power")
        try:
            power, old = _merge(ctx, entry, snap, by_title, new_by_title, used)
        except RowError as exc:
            rr.action, rr.messages = "error", rr.messages + exc.messages
            report.rows.append(rr)
            continue
        rr.code, rr.title = power.code, power.title
        power.path = power_path(power)
        rr.path = power.path
        if old is None:
            if not ctx.project:  # the project layout holds every field already
                _skeleton_fields(power, ctx.codes)
            rr.action = "created"
            used.add(power.code)
            new_by_title[(power.department, power.title)] = power.code
        else:
            rr.fields = _changed_fields(old, power)
            rr.action = "updated" if rr.fields else "unchanged"
        if rr.action != "unchanged":
            pending.append(power)
            if old is not None and old.path and old.path != power.path:
                plan.removes.append(old.path)
        report.rows.append(rr)
    for power, text in zip(pending, _texts(pending), strict=True):
        plan.writes[power.path] = text
    report.rows.sort(key=lambda r: r.row)
    report.unmatched_departments = list(ctx.unmatched_departments)
    report.unmatched_laws = list(ctx.unmatched_laws)
    return report, plan


def _texts_chunk(powers: list[Power]) -> list[str]:
    return [power_text(p) for p in powers]


def _texts(powers: list[Power], chunk: int = 400) -> list[str]:
    """The record files of many powers, written in parallel when there are many."""
    chunks = [powers[i:i + chunk] for i in range(0, len(powers), chunk)]
    jobs = default_jobs()
    if jobs < 2 or len(chunks) < 2:
        return [power_text(p) for p in powers]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        return [t for done in pool.map(_texts_chunk, chunks) for t in done]


def _merge(ctx: Context, entry: Entry, snap: Snapshot, by_title: dict, new_by_title: dict,
           used: set[str]) -> tuple[Power, Power | None]:
    patch = dict(entry.patch)
    old = snap.powers.get(entry.code) if entry.code else None
    dept = entry.department or (old.department if old else None)
    if old is None and entry.code is None and dept and entry.title:
        old = by_title.get((dept, entry.title))
    if dept is None:
        raise RowError([f"第{entry.row}行：无法确定实施主体，表中没有部门列，请用 --department 指定 / "
                        "no department: the sheet has no department column; pass --department"])
    if old is not None:
        power = replace(old, citations=list(old.citations), tiers=list(old.tiers),
                        responsibilities=list(old.responsibilities))
    else:
        power = Power(code="", title=entry.title or "")
    power.department = dept
    if "citations_cell" in patch and old is not None and ctx.layout.rows_per_power:
        patch.pop("citations_cell")  # 裁量基准 names the basis; the record's citations stand
    if "citations_cell" in patch:
        values = patch.pop("citations_cell")
        try:
            patch["citations"] = _official_citations(ctx, entry.row, values, "citations", old)
        except (CellError, CitationError) as exc:
            raise RowError([f"{ctx.where(entry.row, 'citations')}：{exc}"]) from exc
    if "tiers" in patch and not ctx.project:
        for i, t in enumerate(patch["tiers"], start=1):
            t.order = i
    for key, value in patch.items():
        setattr(power, key, value)
    if entry.code:
        power.code = entry.code
        if not power.power_type:
            power.power_type = entry.code[2:4]
    if not power.power_type and ctx.layout.default_type:
        power.power_type = ctx.layout.default_type
    if old is None and not power.code:
        if not power.power_type:
            raise RowError([f"第{entry.row}行：无法确定事项类型 / no power type for a new record"])
        parent = None
        if entry.sub_of_title:
            parent = new_by_title.get((dept, entry.sub_of_title))
            main = by_title.get((dept, entry.sub_of_title))
            parent = parent or (main.code if main else None)
            if parent is None:
                raise RowError([f"第{entry.row}行：子项“{entry.title}”的主项“{entry.sub_of_title}”"
                                f"不存在 / the main item {entry.sub_of_title!r} does not exist"])
            power.main_item = parent
        dept_code = snap.departments[dept].code
        power.code = next_code(used, power.power_type, dept_code, parent)
    elif entry.sub_of_title and old is None and not power.main_item:
        main = new_by_title.get((dept, entry.sub_of_title)) or getattr(
            by_title.get((dept, entry.sub_of_title)), "code", None)
        if main and main[:9] == power.code[:9]:
            power.main_item = main
    return power, old


# --- entry point -------------------------------------------------------------------------------

def import_sheet(root: Path, path: Path, *, layout: str = "auto", department: str | None = None,
                 dry_run: bool = False, use_cache: bool = True) -> ImportReport:
    """Import a spreadsheet into the registry at ``root`` (see the module docstring)."""
    from .validate import validate

    root = Path(root)
    files = working_tree(root)
    snap = load_snapshot(root, files=files, use_cache=use_cache)
    report, plan = plan_import(root, snap, path, layout, department)
    report.dry_run = dry_run
    if plan.writes or plan.removes:
        overlay = {f.path: f for f in files if f.path not in plan.removes}
        for rel, text in plan.writes.items():
            overlay[rel] = SourceFile.from_bytes(rel, text.encode("utf-8"))
        result = validate(root, files=sorted(overlay.values(), key=lambda f: f.path),
                          only=set(plan.writes), use_cache=use_cache)
        changed = set(plan.writes)
        report.diagnostics = [d for d in result.diagnostics if d.path in changed]
    if report.ok and not dry_run and (plan.writes or plan.removes):
        write_files(root, plan.writes)
        for rel in plan.removes:
            (root / rel).unlink(missing_ok=True)
        report.written = sorted(plan.writes)
        report.removed = sorted(plan.removes)
    return report


def iter_row_lines(report: ImportReport) -> Iterator[str]:
    """The row-by-row report as plain lines (for the CLI and logs)."""
    names = {"created": "新建 created", "updated": "更新 updated", "unchanged": "未变 unchanged",
             "error": "错误 error"}
    for r in report.rows:
        head = f"第{r.row}行 row {r.row}: {names.get(r.action, r.action)}"
        if r.code:
            head += f" {r.code}"
        if r.title:
            head += f" {r.title}"
        if r.fields:
            head += "  [" + ", ".join(FIELD_LABELS[f][0] for f in r.fields) + "]"
        yield head
        for m in r.messages:
            yield f"    {m}"
