"""`powers`: the command line of the registry.

Each command builds the core object, makes one call and turns a domain error into a
message and an exit code: 0 success, 1 invalid records or not found, 2 the shapes,
the configuration or the arguments cannot be used. A traceback is never the message.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from registry.diagnostics import Diagnostic
from registry.shacl import ShapesError
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


def main() -> None:
    """Entry point of the `powers` console script."""
    try:
        app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Fail as exc:
        err.print(str(exc), markup=False)
        sys.exit(exc.code)
    except (RegistryNotFound, ShapesError) as exc:
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
