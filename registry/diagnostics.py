"""Diagnostics: what validation found, where, and how to fix it — in Chinese and English."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class ShapesError(Exception):
    """The SHACL shapes cannot be loaded (the CLI exits with code 2)."""


ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about one file.

    ``message`` is bilingual ("中文 / English") and ends with the fix. ``rule`` is a stable
    identifier (``syntax``, ``file-name``, ``shacl:MinCount``, ``unique-code`` …) that
    tools can match on; ``field`` names the field ("基本编码 / code") when there is one.
    """

    severity: str
    rule: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None
    focus: str | None = None
    value: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def location(self) -> str:
        loc = self.path
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc


class DiagnosticSummary:
    """``errors``, ``warnings`` and ``ok`` of any result that holds ``diagnostics``."""

    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def error(rule: str, path: str, message: str, **kw) -> Diagnostic:
    return Diagnostic(ERROR, rule, path, message, **kw)


def warning(rule: str, path: str, message: str, **kw) -> Diagnostic:
    return Diagnostic(WARNING, rule, path, message, **kw)


def sort_key(d: Diagnostic) -> tuple:
    return (d.path, d.line or 0, d.column or 0, d.severity != ERROR, d.rule, d.message)
