"""`powers`: the command line of the registry.

Each command builds the core object, makes one call and turns a domain error into a
message and an exit code: 0 success, 1 invalid records or not found, 2 the shapes,
the configuration or the arguments cannot be used. A traceback is never the message.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from registry.diagnostics import Diagnostic, ShapesError
from registry.gitstore import GitError
from registry.source import RegistryNotFound

app = typer.Typer(
    help="行政权力清单登记库 / The registry of administrative powers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

RootOption = Annotated[Path, typer.Option(
    "--root", help="登记库根目录 / registry root folder (default: current directory).",
    file_okay=False)]


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


class Fail(Exception):
    """A user-facing failure: printed as its message, exits with ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def _progress(enabled: bool):
    """A progress bar on stderr when it is a terminal; otherwise a silent stand-in."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True,
                    disable=not (enabled and err.is_terminal))


# --- validate ---------------------------------------------------------------------------

def _github_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def print_diagnostics(diagnostics: list[Diagnostic], fmt: ReportFormat) -> None:
    """Print diagnostics as text or GitHub workflow annotations."""
    for d in diagnostics:
        if fmt is ReportFormat.github:
            kind = "error" if d.is_error else "warning"
            props = f"file={d.path}"
            if d.line:
                props += f",line={d.line}"
                if d.column:
                    props += f",col={d.column}"
            title = d.field or d.rule
            print(f"::{kind} {props},title={_github_escape(title)}::{_github_escape(d.message)}")
        else:
            label = "[red]错误 error[/red]" if d.is_error else "[yellow]警告 warning[/yellow]"
            field = f" {d.field}" if d.field else ""
            out.print(f"[bold]{d.location()}[/bold] {label} [dim]\\[{d.rule}][/dim]{field}",
                      markup=True)
            out.print(f"    {d.message}", markup=False)


@app.command()
def validate(
    root: RootOption = Path("."),
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="text | json | github")] =
    ReportFormat.text,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不用缓存 / ignore the cache.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="并行进程数 / worker processes.")] = 0,
) -> None:
    """校验整个登记库 / Validate every record: syntax, record rules, SHACL, cross-record rules.

    Exit 0 when valid, 1 when records are invalid, 2 when the shapes cannot be loaded.
    Example: powers validate --format github
    """
    from registry.validate import validate as run

    with _progress(fmt is ReportFormat.text) as bar:
        task = bar.add_task("校验 validating", total=None)
        report = run(root, use_cache=not no_cache, jobs=jobs or None,
                     progress=lambda n: bar.advance(task, n),
                     on_total=lambda n: bar.update(task, total=n))
    if fmt is ReportFormat.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_diagnostics(report.diagnostics, fmt)
        summary = (f"校验 {report.files:,} 个文件：{len(report.errors)} 个错误，{len(report.warnings)} "
                   f"个警告 / Validated {report.files:,} files: {len(report.errors)} errors, "
                   f"{len(report.warnings)} warnings ({report.seconds:.1f} s)")
        if fmt is ReportFormat.github:
            print(summary)
        else:
            out.print(("[green]✓[/green] " if report.ok else "[red]✗[/red] ") + summary)
    raise typer.Exit(0 if report.ok else 1)


# --- stats and show ----------------------------------------------------------------------

def _snapshot(root: Path):
    from registry.snapshot import load_snapshot

    return load_snapshot(root)


@app.command()
def stats(
    root: RootOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
) -> None:
    """统计 / Counts of powers by status, department, type and level.

    Example: powers stats --json
    """
    snap = _snapshot(root)
    data = snap.stats()
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out.print(f"实施中的权力 powers in force: [bold]{data['in_force']:,}[/bold]   "
              f"已取消/下放/合并 abolished, delegated or merged: {data['abolished']:,}   "
              f"部门 departments: {data['departments']}   法律法规 laws: {data['laws']}")
    for title, key, scheme in (("事项类型 / type", "by_type", "power-type"),
                               ("行使层级 / exercise level", "by_level", "exercise-level")):
        table = Table(title=title, title_justify="left")
        table.add_column("代码 code")
        table.add_column("名称 name")
        table.add_column("数量 count", justify="right")
        for k, n in data[key].items():
            table.add_row(k, snap.concept_label(scheme, k), f"{n:,}")
        out.print(table)
    table = Table(title="部门 / department", title_justify="left")
    table.add_column("部门 department")
    table.add_column("数量 count", justify="right")
    for slug, n in data["by_department"].items():
        dept = snap.departments.get(slug)
        table.add_row(f"{dept.name if dept else slug} ({slug})", f"{n:,}")
    out.print(table)


class ShowFormat(StrEnum):
    text = "text"
    turtle = "turtle"
    json_ld = "json-ld"
    json = "json"


@app.command()
def show(
    code: Annotated[str, typer.Argument(help="12位基本编码 / the 12-digit code.")],
    root: RootOption = Path("."),
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f", help="text | turtle | json-ld | json")] =
    ShowFormat.text,
    at: Annotated[str | None, typer.Option("--at", help="提交、标签或日期 / a commit, tag or date "
                                                         "(YYYY-MM-DD): the record as it stood then.")] = None,
) -> None:
    """显示一项权力 / Show one power.

    Example: powers show 330218001000 --format turtle
    """
    from registry import present

    if at:
        from registry.history import snapshot_at

        snap = snapshot_at(root, at)
    else:
        snap = _snapshot(root)
    power = snap.powers.get(code)
    if power is None:
        raise Fail(f"未找到编码为 {code} 的权力。/ No power with code {code}.")
    if fmt is ShowFormat.turtle:
        print(snap.files[power.path].data.decode("utf-8"), end="")
    elif fmt is ShowFormat.json_ld:
        print(present.jsonld(snap, power.path))
    elif fmt is ShowFormat.json:
        print(json.dumps(present.power_dict(snap, power), ensure_ascii=False, indent=2))
    else:
        for label, value in present.power_fields(snap, power):
            out.print(f"[bold]{label}[/bold]: ", end="")
            out.print(value, markup=False)


# --- versions: history, diff, check, codeowners (registry.history / diff / basecheck) -----

class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def history(
    code: Annotated[str, typer.Argument(help="基本编码、部门简称、法规编号或文件路径 / a power code, "
                                              "department slug, law id or file path.")],
    root: RootOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
) -> None:
    """记录的版本历史 / The versions of one record, newest first, following moves.

    Example: powers history 330218001000
    """
    from registry.diff import CHANGE_LABELS
    from registry.history import record_history

    versions = record_history(root, code)
    if as_json:
        print(json.dumps([v.to_dict() for v in versions], ensure_ascii=False, indent=2))
        return
    if not versions:
        raise Fail(f"git 历史中没有 {code}。/ git has no history of {code}.")
    for v in versions:
        out.print(f"[bold]{v.short}[/bold] {v.date[:19].replace('T', ' ')}  "
                  f"[cyan]{CHANGE_LABELS.get(v.change, v.change)}[/cyan]  ", end="")
        out.print(f"{v.author}: {v.message}", markup=False)
        if v.old_path:
            out.print(f"    {v.old_path} → {v.path}", markup=False)
        for fc in v.fields:
            out.print(f"    {fc.summary()}", markup=False)


@app.command()
def diff(
    rev_a: Annotated[str, typer.Argument(help="起点：提交、标签、分支或日期 / from: a commit, tag, "
                                               "branch or date YYYY-MM-DD.")],
    rev_b: Annotated[str | None, typer.Argument(help="终点（默认工作区）/ to (default: the working "
                                                       "tree, with uncommitted changes).")] = None,
    root: RootOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="输出拉取请求评论 Markdown / print "
                                                               "the pull-request comment.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Markdown 字符上限 / character limit of "
                                                       "the Markdown.")] = 60_000,
    full_report: Annotated[str | None, typer.Option(
        "--full-report", help="完整报告的链接（截断时显示）/ where the full report is (shown when "
                              "the Markdown is cut).")] = None,
) -> None:
    """语义差异 / What changed between two revisions, power by power and field by field.

    Examples: powers diff HEAD~5 · powers diff v1.0 v1.1 --markdown · powers diff 2024-01-01 --json
    """
    from registry.history import revision_diff

    if as_json and markdown:
        raise Fail("--json 与 --markdown 只能选一个。/ Choose --json or --markdown, not both.", 2)
    result = revision_diff(root, rev_a, rev_b)
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif markdown:
        print(result.to_markdown(limit=limit, full_report=full_report), end="")
    else:
        out.print(result.to_text(), markup=False)


@app.command()
def check(
    base: Annotated[str, typer.Option("--base", help="比较基准：提交、分支或标签 / the revision to "
                                                     "check against, e.g. origin/main.")] = "HEAD",
    root: RootOption = Path("."),
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="text | json | github")] =
    ReportFormat.text,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不用缓存 / ignore the cache.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="并行进程数 / worker processes.")] = 0,
) -> None:
    """检查改动 / Check what changed since a revision: the changed records, every cross-record
    rule, no deleted powers, no revived abolished codes; then print the semantic diff.

    Exit 0 when the change is valid, 1 when it is not, 2 when the base or shapes cannot be read.
    Example: powers check --base origin/main --format github
    """
    import os

    from registry.basecheck import check as run

    result = run(root, base, use_cache=not no_cache, jobs=jobs or None)
    n_changed = len(result.changed)
    summary = (f"检查 {n_changed} 个改动文件（重新校验 {result.report.checked} 个）："
               f"{len(result.errors)} 个错误，{len(result.warnings)} 个警告 / Checked {n_changed} "
               f"changed files ({result.report.checked} re-validated): {len(result.errors)} errors, "
               f"{len(result.warnings)} warnings ({result.seconds:.1f} s)")
    if result.hidden_warnings:
        summary += (f"；未改动记录另有 {result.hidden_warnings} 个警告（见 powers validate）/ "
                    f"{result.hidden_warnings} more warnings on unchanged records (powers validate)")
    if fmt is ReportFormat.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_diagnostics(result.diagnostics, fmt)
        if fmt is ReportFormat.github:
            print(summary)
            print(result.diff.to_text())
            step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
            if step_summary:
                with open(step_summary, "a", encoding="utf-8") as fh:
                    fh.write(result.diff.to_markdown() + "\n")
        else:
            out.print(("[green]✓[/green] " if result.ok else "[red]✗[/red] ") + summary)
            out.print(result.diff.to_text(), markup=False)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def codeowners(
    root: RootOption = Path("."),
    write: Annotated[bool, typer.Option("--write", help="写入 .github/CODEOWNERS / write the "
                                                        "file instead of printing it.")] = False,
) -> None:
    """生成 CODEOWNERS / CODEOWNERS from the department folders, so each department approves
    changes to its own powers. Owners come from owners.toml (default: @<org>/<slug>-legal).

    Example: powers codeowners --write
    """
    from registry import codeowners as co

    try:
        if write:
            path = co.write(root)
            out.print(f"已写入 written: {path}", markup=False)
        else:
            print(co.render(root), end="")
    except co.OwnersError as exc:
        raise Fail(str(exc), 2) from exc


# --- officer tools: new, fmt, import, export, laws (registry.newrecord / fmt / importer /
# exporter / impact) -----------------------------------------------------------------------

class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    ttl = "ttl"
    nt = "nt"
    jsonld = "jsonld"


class ImportLayout(StrEnum):
    auto = "auto"
    power_list = "权力清单"
    responsibilities = "权责清单"
    licensing = "行政许可事项清单"
    enforcement = "执法事项目录"
    discretion = "裁量基准"


def _department_slug(snap, text: str | None) -> str | None:
    from registry.lookup import DepartmentIndex, NotFound

    if not text:
        return None
    try:
        return DepartmentIndex(snap.departments.values()).find(text).slug
    except NotFound as exc:
        raise Fail(str(exc)) from exc


@app.command()
def new(
    department: Annotated[str, typer.Option("--department", "-d", help="部门：文件夹名、部门代码或中文"
                                                                       "名称 / department: folder, "
                                                                       "code or Chinese name.")],
    power_type: Annotated[str, typer.Option("--type", "-t", help="事项类型：代码或名称，如 02 或 "
                                                                 "行政处罚 / type notation or label.")],
    name: Annotated[str, typer.Option("--name", "-n", help="事项名称 / the power's name.")],
    parent: Annotated[str | None, typer.Option("--parent", help="主项编码：新建其子项 / main item "
                                                                "code: create a sub-item.")] = None,
    law: Annotated[str | None, typer.Option("--law", help="所引法规：编号、全称或简称 / cited law: "
                                                          "id, full or short title.")] = None,
    article: Annotated[int | None, typer.Option("--article", help="所引条 / cited article.")] = None,
    level: Annotated[list[str] | None, typer.Option("--level", help="行使层级，可多次 / exercise "
                                                                    "level, repeatable (default 省级).")] = None,
    root: RootOption = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示，不写入 / print, write "
                                                            "nothing.")] = False,
) -> None:
    """新建权力事项 / Create a power: the next free code and a complete skeleton record.

    Fields only a person can write hold TODO markers; `powers validate` lists them.
    Example: powers new --department 交通运输厅 --type 行政许可 --name 公路超限运输许可
    """
    from registry.newrecord import NewRecordError, skeleton, write_new

    snap = _snapshot(root)
    try:
        record = skeleton(snap, root, department=department, power_type=power_type, name=name,
                          parent=parent, law=law, article=article, levels=level)
        if dry_run:
            print(record.text, end="")
            return
        path = write_new(root, record)
    except NewRecordError as exc:
        raise Fail(str(exc)) from exc
    out.print(f"[green]✓[/green] 已新建 created {record.power.code}: ", end="")
    out.print(f"{path}", markup=False)
    todos = record.text.count("TODO")
    out.print(f"    待填写 {todos} 处 TODO / {todos} TODO markers to fill in "
              "(powers validate 列出 / lists them)", markup=False)
    if record.law_guessed:
        law_id = record.power.citations[0].law
        out.print(f"    实施依据暂填本部门最常引用的 {law_id}，请核对 / the legal basis cites {law_id}, "
                  "the law this department cites most: check it (or pass --law).", markup=False)


@app.command()
def fmt(
    paths: Annotated[list[Path] | None, typer.Argument(help="文件或文件夹（默认 data/ 下全部）/ "
                                                             "files or folders (default: all of "
                                                             "data/).")] = None,
    check: Annotated[bool, typer.Option("--check", help="只检查：列出不规范的文件并以 1 退出 / list "
                                                        "files not in the canonical layout, exit 1.")] = False,
    root: RootOption = Path("."),
) -> None:
    """规范格式 / Rewrite record files in the canonical layout (never changes their graph).

    Exit 0 when every file is canonical (or was rewritten), 1 when --check finds files to
    format or a file does not parse (reported with file:line:col, left untouched).
    Example: powers fmt --check
    """
    from registry.fmt import collect, format_files

    try:
        files = collect(root, paths)
    except FileNotFoundError as exc:
        raise Fail(str(exc), 2) from exc
    result = format_files(root, files, check=check)
    for p in result.problems:
        out.print(f"[bold]{p.location()}[/bold] [red]错误 error[/red] ", end="")
        out.print(p.message, markup=False)
    for rel in result.changed:
        out.print(("需格式化 would reformat: " if check else "已格式化 reformatted: ") + rel,
                  markup=False)
    n = len(result.changed)
    if check:
        out.print(f"检查 {result.checked:,} 个文件：{n} 个需格式化，{len(result.problems)} 个无法解析 / "
                  f"Checked {result.checked:,} files: {n} to reformat, {len(result.problems)} "
                  "unparseable", markup=False)
        raise typer.Exit(1 if n or result.problems else 0)
    out.print(f"格式化 {n} 个文件（共 {result.checked:,} 个）/ Reformatted {n} of "
              f"{result.checked:,} files", markup=False)
    raise typer.Exit(1 if result.problems else 0)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="XLSX 或 CSV 文件 / an XLSX or CSV file.",
                                         exists=True, dir_okay=False)],
    layout: Annotated[ImportLayout, typer.Option("--layout", help="表格式（默认自动识别）/ table "
                                                                  "layout (default: detect).")] =
    ImportLayout.auto,
    department: Annotated[str | None, typer.Option("--department", "-d", help="表中无部门列时的部门 "
                                                                              "/ department, when the "
                                                                              "sheet has no "
                                                                              "department column.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只报告，不写入 / report, write "
                                                            "nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
    root: RootOption = Path("."),
) -> None:
    """导入表格 / Import a spreadsheet: create or update one record per row, all or nothing.

    Layouts: 权力清单 (this project's export), 权责清单, 行政许可事项清单, 执法事项目录, 裁量基准.
    Nothing is written when a row has an error or the would-be records do not validate.
    Exit 0 on success, 1 when rows or records are invalid, 2 when the file cannot be read.
    Example: powers import 清单.xlsx --dry-run
    """
    from registry.importer import SheetError, import_sheet, iter_row_lines

    try:
        report = import_sheet(root, file, layout=layout.value, department=department,
                              dry_run=dry_run)
    except SheetError as exc:
        raise Fail(str(exc), 2) from exc
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        raise typer.Exit(0 if report.ok else 1)
    out.print(f"表格式 layout: {report.layout}（表头在第 {report.header_row} 行 / header on row "
              f"{report.header_row}）", markup=False)
    for line in iter_row_lines(report):
        out.print(line, markup=False)
    if report.unknown_columns:
        out.print("未识别的列（已忽略）/ unknown columns (ignored): " + "、".join(report.unknown_columns),
                  markup=False)
    if report.ignored_columns:
        out.print("无对应字段的列（未导入）/ columns with no field (not imported): "
                  + "、".join(report.ignored_columns), markup=False)
    if report.unmatched_departments:
        out.print("未匹配的部门 / unmatched departments: " + "、".join(report.unmatched_departments),
                  markup=False)
    if report.unmatched_laws:
        out.print("未匹配的法规 / unmatched laws: " + "、".join(report.unmatched_laws), markup=False)
    print_diagnostics(report.diagnostics, ReportFormat.text)
    counts = (f"新建 {report.count('created')}，更新 {report.count('updated')}，未变 "
              f"{report.count('unchanged')}，错误 {report.count('error')}，空行 {report.empty_rows} / "
              f"created {report.count('created')}, updated {report.count('updated')}, unchanged "
              f"{report.count('unchanged')}, errors {report.count('error')}, empty rows "
              f"{report.empty_rows}")
    if not report.ok:
        out.print(f"[red]✗[/red] 未写入任何文件 / nothing written ({len(report.errors)} "
                  f"validation errors). {counts}")
        raise typer.Exit(1)
    if dry_run:
        out.print(f"试运行，未写入 / dry run, nothing written. {counts}", markup=False)
    elif not report.written and not report.removed:
        out.print(f"[green]✓[/green] 无需改动 / nothing to change. {counts}")
    else:
        out.print(f"[green]✓[/green] 已写入 {len(report.written)} 个文件 / wrote "
                  f"{len(report.written)} files. {counts}")


@app.command()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件 / output file.",
                                         dir_okay=False)],
    fmt: Annotated[ExportFormat | None, typer.Option("--format", "-f", help="xlsx | csv | ttl | nt | "
                                                                            "jsonld (默认按扩展名 / "
                                                                            "default: from -o).")] = None,
    department: Annotated[str | None, typer.Option("--department", "-d", help="只导出一个部门 / one "
                                                                              "department only.")] = None,
    root: RootOption = Path("."),
) -> None:
    """导出 / Export the list as a spreadsheet (one row per power, Chinese headers, importable
    again) or the registry as RDF (Turtle, N-Triples, JSON-LD).

    Example: powers export -f xlsx -d jiaotong -o 交通运输厅.xlsx
    """
    from registry.exporter import FORMATS, ExportError
    from registry.exporter import export as run

    if fmt is None:
        ext = output.suffix.lower().lstrip(".")
        ext = {"json": "jsonld", "turtle": "ttl"}.get(ext, ext)
        if ext not in FORMATS:
            raise Fail(f"请用 --format 指定格式（{' | '.join(FORMATS)}）。/ Name the format with "
                       "--format.", 2)
        fmt = ExportFormat(ext)
    snap = _snapshot(root)
    slug = _department_slug(snap, department)
    try:
        n = run(snap, fmt.value, output, slug)
    except ExportError as exc:
        raise Fail(str(exc)) from exc
    out.print(f"[green]✓[/green] 已导出 {n:,} 项权力 / exported {n:,} powers → ", end="")
    out.print(str(output), markup=False)


laws_app = typer.Typer(help="法律法规 / Laws and what rests on them.", no_args_is_help=True)
app.add_typer(laws_app, name="laws")


@laws_app.command("impact")
def laws_impact(
    law: Annotated[str, typer.Argument(help="法规编号、全称或简称 / law id, full or short title.")],
    article: Annotated[int | None, typer.Option("--article", help="只看这一条 / one article "
                                                                  "only.")] = None,
    all_status: Annotated[bool, typer.Option("--all", help="含已取消等事项 / include powers no "
                                                           "longer in force.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
    root: RootOption = Path("."),
) -> None:
    """法规影响 / Every power resting on a law (or one article of it).

    Citations of a version older than the law's last amendment, or of a repealed law, are
    marked 待核对 (to check). Example: powers laws impact 道路运输条例 --article 63
    """
    from registry.impact import law_impact
    from registry.lookup import NotFound

    snap = _snapshot(root)
    try:
        result = law_impact(snap, law, article, include_inactive=all_status)
    except NotFound as exc:
        raise Fail(str(exc)) from exc
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    lw = result.law
    status = snap.concept_label("law-status", lw.status) if lw.status else ""
    out.print(f"[bold]《{lw.title}》[/bold] {lw.id} {status}", end="")
    out.print(f"  最近修正 last amended: {lw.last_amended}" if lw.last_amended else "")
    where = f"第{article}条 / article {article}: " if article else ""
    out.print(f"{where}{len(result.powers)} 项权力、{len(result.hits)} 处引用，其中 "
              f"{len(result.outdated)} 处待核对 / {len(result.powers)} powers, {len(result.hits)} "
              f"citations, {len(result.outdated)} to check", markup=False)
    table = Table()
    for col in ("基本编码 code", "事项名称 name", "部门 department", "条款 provision",
                "所引版本 version", ""):
        table.add_column(col)
    for h in result.hits:
        table.add_row(h.code, h.title, h.department_name, h.provision, h.cited_version or "",
                      "[yellow]待核对 to check[/yellow]" if h.outdated else "")
    out.print(table)


@laws_app.command("list")
def laws_list(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
    root: RootOption = Path("."),
) -> None:
    """法规列表 / Every law with the number of powers in force citing it.

    Example: powers laws list --json
    """
    from registry.impact import law_counts

    snap = _snapshot(root)
    counts = law_counts(snap)
    if as_json:
        print(json.dumps([c.to_dict() for c in counts], ensure_ascii=False, indent=2))
        return
    table = Table()
    for col, justify in (("编号 id", "left"), ("名称 title", "left"), ("效力层级 level", "left"),
                         ("状态 status", "left"), ("权力 powers", "right"),
                         ("引用 citations", "right"), ("待核对 to check", "right")):
        table.add_column(col, justify=justify)
    for c in counts:
        table.add_row(c.law.id, c.law.title, snap.concept_label("law-level", c.law.level),
                      snap.concept_label("law-status", c.law.status), f"{c.powers:,}",
                      f"{c.citations:,}", f"{c.outdated:,}" if c.outdated else "")
    out.print(table)


# --- search and serve (search/, api/) -----------------------------------------------------

def _marked(fragment: str):
    """An HTML fragment with <mark> (as search returns it) as rich Text, matches in bold."""
    import html
    import re

    from rich.text import Text

    text = Text()
    for i, part in enumerate(re.split(r"</?mark>", fragment)):
        text.append(html.unescape(part), style="bold yellow" if i % 2 else "")
    return text


def _open_search(root: Path, snap):
    from search import SearchIndex

    with _progress(True) as bar:
        bar.add_task("索引 indexing", total=None)
        return SearchIndex.open(root, snap)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="中文词语或编码 / words or a code prefix.")],
    root: RootOption = Path("."),
    department: Annotated[str | None, typer.Option("--department", "-d",
                                                   help="部门 slug / department slug.")] = None,
    power_type: Annotated[str | None, typer.Option("--type", "-t",
                                                   help="事项类型代码 / type code, e.g. 01.")] = None,
    level: Annotated[str | None, typer.Option("--level", help="行使层级 / exercise level.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000,
                                       help="显示条数 / hits shown.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
) -> None:
    """全文搜索 / Search powers by name, legal basis, department or code.

    Words are ANDed; 4–12 digits are a code prefix. The index is kept in .powers-cache/
    and rebuilt only when the data changed.
    Example: powers search 驾驶培训 --type 01
    """
    snap = _snapshot(root)
    index = _open_search(root, snap)
    result = index.search(query, department=department, power_type=power_type, level=level,
                          limit=limit)
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        raise typer.Exit(0 if result.total else 1)
    if not result.total:
        err.print(f"没有找到“{query}”。/ Nothing found for “{query}”.", markup=False)
        raise typer.Exit(1)
    table = Table(title=f"“{query}”：{result.total:,} 项 / {result.total:,} hits "
                        f"({result.took_ms:.0f} ms)", title_justify="left")
    table.add_column("编码 code", no_wrap=True)
    table.add_column("名称 name", overflow="fold", ratio=1)
    table.add_column("类型 type")
    table.add_column("部门 department")
    for h in result.hits:
        name = _marked(h.highlights.get("name") or h.title)
        if h.status != "in-force":
            name.append(f"（{snap.concept_label('status', h.status)}）", style="dim")
        table.add_row(h.code, name, h.type_label, h.department_name)
    out.print(table)
    facets = result.facets
    for key, title in (("type", "类型 type"), ("department", "部门 department")):
        values = "  ".join(f"{v.label} {v.count}" for v in facets[key][:8])
        out.print(f"[dim]{title}:[/dim] {values}", markup=True, highlight=False)


@app.command()
def serve(
    root: RootOption = Path("."),
    host: Annotated[str, typer.Option("--host", help="监听地址 / address to listen on.")] =
    "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535,
                                      help="端口 / port.")] = 8000,
    site: Annotated[Path | None, typer.Option("--site", file_okay=False,
                                              help="站点目录（默认 ROOT/_site，缺失时先构建）/ "
                                                   "built site folder (default ROOT/_site, built "
                                                   "first if missing).")] = None,
    no_site: Annotated[bool, typer.Option("--no-site", help="只提供 API / serve the API "
                                                             "only.")] = False,
    no_search: Annotated[bool, typer.Option("--no-search", help="不启用搜索 / no search.")] =
    False,
    sparql_backend: Annotated[str | None, typer.Option(
        "--sparql-backend", help="由外部 SPARQL 1.1 存储的查询端点回答 /sparql（见 powers publish）/ "
                                 "answer /sparql from an external SPARQL 1.1 store's query "
                                 "endpoint (see powers publish).")] = None,
) -> None:
    """启动服务 / Serve the site at /, the API at /api/ (docs at /api/docs), SPARQL at /sparql.

    One process; ready in seconds. Settings (time limits, sizes) come from POWERS_*
    environment variables (see docs/ARCHITECTURE.md). Stop with Ctrl-C.
    Example: powers serve --port 8000
    """
    import gc
    import threading
    import time

    import uvicorn

    from api import Settings, create_app

    started = time.perf_counter()
    root = Path(root).resolve()
    site_dir = None
    if not no_site:
        site_dir = Path(site).resolve() if site else root / "_site"
        if not (site_dir / "index.html").is_file():
            if site:
                raise Fail(f"站点目录 {site_dir} 没有 index.html。/ {site_dir} holds no built site "
                           "(index.html).", 2)
            from site_builder.build import BuildError, build

            err.print("构建站点 / building the site …", markup=False)
            try:
                build(root, site_dir, progress=lambda msg: None)
            except BuildError as exc:  # still serve the API: the data may be fine
                err.print(f"站点构建失败，只提供 API。/ The site build failed; serving the API "
                          f"only.\n{exc}", markup=False)
                site_dir = None
    snap = _snapshot(root)
    settings = Settings.from_env(root=root, site_dir=site_dir, sparql_backend=sparql_backend)
    app_ = create_app(settings, snap)
    services = app_.state.services
    gc.collect()
    gc.freeze()  # the catalog lives as long as the server: keep the collector off it
    config = uvicorn.Config(app_, host=host, port=port, log_level="warning", access_log=False,
                            h11_max_incomplete_event_size=4 * settings.sparql_max_query,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if not no_search:
        services.search_state = "starting"

        def open_index() -> None:  # once the server listens, so the API is up first
            from search import SearchIndex

            while not server.started and not server.should_exit:
                time.sleep(0.05)
            index = SearchIndex.open(root, snap, threaded=True)
            gc.collect()
            gc.freeze()  # the index lives as long as the server
            services.searcher = index

        threading.Thread(target=open_index, name="search-index", daemon=True).start()
    url = f"http://{host}:{port}"
    err.print(f"行政权力清单登记库 / powers registry: {len(snap.powers):,} 项权力 powers, "
              f"{time.perf_counter() - started:.1f} s", markup=False)
    err.print(f"站点 site {url}/   API {url}/api/   文档 docs {url}/api/docs   "
              f"SPARQL {url}/sparql", markup=False)
    server.run()


# --- site (site_builder/) ------------------------------------------------------------------

@app.command("build")
def build_site(
    root: RootOption = Path("."),
    out_dir: Annotated[Path | None, typer.Option(
        "--out", file_okay=False,
        help="输出目录（默认 ROOT/_site）/ output folder (default ROOT/_site).")] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="网站的公开地址，用于订阅、站点地图和 DCAT / the site's public URL, for "
                           "feeds, sitemap and DCAT (default https://powers.example.org/).")] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="全部重新生成，不沿用上次构建 / render every page again.")] = False,
    no_search: Annotated[bool, typer.Option(
        "--no-search", help="不建搜索索引 / no search index.")] = False,
    no_dumps: Annotated[bool, typer.Option(
        "--no-dumps", help="不生成整库下载 / no open-data dumps.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 报告 / print a JSON "
                                                          "report.")] = False,
) -> None:
    """生成静态网站 / Build the static site: every power, department, law and code list.

    Pages, each record's Turtle and JSON-LD, dumps with DCAT, Atom feeds and a Chinese
    full-text search index (static files, no server). Only what changed since the last
    build is rendered again, and only the changed records are re-indexed; a failed build (a broken link, a failing step) leaves the previous
    site untouched and exits 2. Example: powers build --out _site
    """
    from registry.namespaces import BASE
    from site_builder.build import BuildError, build

    with _progress(not as_json) as bar:
        task = bar.add_task("生成网站 building the site", total=None)
        try:
            report = build(root, out_dir, base_url=base_url or BASE, search=not no_search,
                           dumps=not no_dumps, incremental=not full,
                           progress=lambda msg: bar.update(task, description=msg))
        except BuildError as exc:
            lines = [str(exc), *exc.problems[:20]]
            if len(exc.problems) > 20:
                lines.append(f"……另有 {len(exc.problems) - 20} 处 / and {len(exc.problems) - 20} more")
            raise Fail("\n".join(lines), 2) from exc
    global _QUICK_EXIT
    _QUICK_EXIT = True
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    search_note = ""
    if report.search is not None:
        s = report.search
        search_note = (f"；搜索索引 search index: {'全部重建 rebuilt' if s.full else '更新 updated'} "
                       f"{s.indexed:,} 页 pages, {s.shards_written}/{s.shards} 个分片 shards")
    out.print(f"[green]✓[/green] {report.out}：{report.pages:,} 个页面 pages，本次生成 rendered "
              f"{report.rendered:,}，写入 written {report.written:,} 个文件 files，"
              f"共 {report.files:,} 个文件 files、{report.size / 1e6:,.1f} MB"
              f"{search_note}（{report.seconds:.1f} s）", markup=True, highlight=False)
    if report.skipped_records:
        err.print(f"注意：{report.skipped_records} 个记录文件未通过记录规则，未收入网站（运行 powers "
                  f"validate 查看）/ Note: {report.skipped_records} record files fail the record rules "
                  "and are left out (run powers validate).", markup=False)


# --- scale: publish to an external SPARQL store (registry.publish) ----------------------

class StoreLayout(StrEnum):
    oxigraph = "oxigraph"
    fuseki = "fuseki"
    virtuoso = "virtuoso"


@app.command()
def publish(
    sparql_store: Annotated[str, typer.Option(
        "--sparql-store", help="SPARQL 1.1 服务器的基础网址，如 http://localhost:7878 / base URL "
                               "of the SPARQL 1.1 server.")],
    root: RootOption = Path("."),
    graph: Annotated[str | None, typer.Option(
        "--graph", help="发布图的 IRI（默认 …/release/<提交或时间>）/ release graph IRI "
                        "(default https://powers.example.org/release/<commit-or-timestamp>).")] = None,
    layout: Annotated[StoreLayout, typer.Option(
        "--layout", help="端点路径的布局 / where the server keeps its endpoints.")] =
    StoreLayout.oxigraph,
    query_url: Annotated[str | None, typer.Option("--query-url", help="查询端点（覆盖布局）/ "
                                                                       "query endpoint.")] = None,
    update_url: Annotated[str | None, typer.Option("--update-url", help="更新端点 / update "
                                                                         "endpoint.")] = None,
    store_url: Annotated[str | None, typer.Option("--store-url", help="图存储协议端点 / Graph "
                                                                       "Store endpoint.")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="账号；密码取自环境变量 POWERS_SPARQL_PASSWORD / account name; the "
                       "password comes from POWERS_SPARQL_PASSWORD.")] = None,
    keep: Annotated[int, typer.Option("--keep", min=1, help="保留的发布数（含当前）/ releases "
                                                            "kept, the current one included.")] = 2,
    chunk_mb: Annotated[float, typer.Option("--chunk-mb", min=0.1, help="每个上传请求的大小（MB）"
                                                                       "/ size of one upload "
                                                                       "request, MB.")] = 8.0,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="每个请求的时限（秒）/ time "
                                                                    "limit of each request, s.")] =
    120.0,
    activate: Annotated[str | None, typer.Option(
        "--activate", help="不上传，只把指针切回已有的发布（回滚）/ upload nothing: move the pointer "
                           "to an existing release (roll back).")] = None,
    no_validate: Annotated[bool, typer.Option(
        "--no-validate", help="发布前不校验 / do not validate before publishing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON.")] = False,
) -> None:
    """发布到 SPARQL 存储 / Load the registry into a SPARQL 1.1 store as a new release graph
    (Graph Store Protocol), verify it, then switch the store's current-release pointer in one
    SPARQL UPDATE. Readers (powers serve --sparql-backend) see the old release until then.

    Exit 0 when published, 1 when the records are invalid, 2 when the store fails.
    Example: powers publish --sparql-store http://localhost:7878
    """
    import os

    from registry.publish import Endpoints, PublishError, StoreClient
    from registry.publish import activate as run_activate
    from registry.publish import publish as run

    try:
        endpoints = Endpoints.for_server(sparql_store, layout.value, query=query_url,
                                         update=update_url, store=store_url)
        client = StoreClient(endpoints, timeout=timeout, user=user,
                             password=os.environ.get("POWERS_SPARQL_PASSWORD"))
        if activate:
            previous = run_activate(client, activate)
            out.print(f"[green]✓[/green] 当前发布 current release: {activate}（原为 was {previous}）",
                      markup=True, highlight=False)
            return
        if not no_validate:
            from registry.validate import validate as check_records

            report = check_records(root)
            if not report.ok:
                print_diagnostics(report.errors[:20], ReportFormat.text)
                raise Fail(f"登记库有 {len(report.errors)} 个错误，未发布。/ The registry has "
                           f"{len(report.errors)} errors: nothing was published. 修正 Fix: 运行 "
                           "powers validate / run powers validate.", 1)
        with _progress(not as_json) as bar:
            task = bar.add_task("发布 publishing", total=None)
            result = run(root, client, graph=graph, keep=keep,
                         chunk_bytes=int(chunk_mb * 1_000_000),
                         progress=lambda done, total: bar.update(task, completed=done,
                                                                 total=total))
    except PublishError as exc:
        raise Fail(str(exc), 2) from exc
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if result.unchanged:
        out.print(f"[green]✓[/green] 已是当前发布，未上传 / already the current release, nothing "
                  f"sent: {result.release}", markup=True, highlight=False)
        return
    out.print(f"[green]✓[/green] 当前发布 current release: {result.release}\n"
              f"  {result.triples:,} 个三元组 triples，{result.files:,} 个文件 files，"
              f"{result.requests} 个请求 requests，{result.bytes_sent / 1e6:,.1f} MB，"
              f"{result.seconds:.1f} s；原发布 previous: {result.previous or '—'}",
              markup=True, highlight=False)
    for gone in result.dropped:
        out.print(f"  已删除旧发布 dropped old release: {gone}", markup=False)
    for warning in result.warnings:
        err.print(f"警告 warning: {warning}", markup=False)


#: Set by a command whose work is done and written (``build``): the process then ends
#: without freeing its objects one by one (after a build of 40,000 records that takes
#: 0.6 s, an eighth of a rebuild), as mypy does.
_QUICK_EXIT = False


def main() -> None:
    """Entry point of the `powers` console script."""
    try:
        # without standalone mode click returns the code of `typer.Exit` instead of exiting
        code = app(standalone_mode=False)
        code = code if isinstance(code, int) else 0
        if _QUICK_EXIT:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Fail as exc:
        err.print(str(exc), markup=False)
        sys.exit(exc.code)
    except (RegistryNotFound, ShapesError, GitError) as exc:
        err.print(str(exc), markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        err.print(f"内部错误 / internal error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(3)


if __name__ == "__main__":
    main()
