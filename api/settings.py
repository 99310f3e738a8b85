"""The server's settings: one table, each with its default and what it does.

Every setting can be given to ``Settings(...)`` or, for ``powers serve``, as an
environment variable ``POWERS_<NAME>`` (e.g. ``POWERS_SPARQL_TIMEOUT=30``).
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path


def _setting(default, help: str):
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class Settings:
    root: Path = _setting(Path("."), "登记库根目录 / registry root folder")
    site_dir: Path | None = _setting(
        None, "静态站点目录，挂在 / / built site folder served at / (none: API only)")
    base_url: str = _setting(
        "", "对外地址，如 https://powers.example.org（空：按请求推断）/ public base URL "
            "(empty: taken from each request)")
    max_limit: int = _setting(1000, "列表每页最多条数 / largest page size of a list")
    default_limit: int = _setting(50, "列表默认每页条数 / default page size of a list")
    max_query_string: int = _setting(
        16_384, "查询串最大字节数（/sparql 为 sparql_max_query 的三倍）/ largest query string, "
                "bytes (/sparql: three times sparql_max_query)")
    max_body: int = _setting(262_144, "请求体最大字节数 / largest request body, bytes")
    search_max_chars: int = _setting(200, "搜索词最大字数 / longest search query, characters")
    sparql_timeout: float = _setting(10.0, "SPARQL 查询时限（秒）/ SPARQL query time limit, s")
    sparql_workers: int = _setting(2, "SPARQL 工作进程数 / SPARQL worker processes")
    sparql_max_query: int = _setting(65_536, "SPARQL 查询最大字节数 / longest SPARQL query, bytes")
    sparql_max_result_bytes: int = _setting(
        25_000_000, "SPARQL 结果最大字节数 / largest SPARQL result, bytes")
    sparql_max_depth: int = _setting(
        64, "SPARQL 括号最大嵌套层数 / deepest nesting of braces and parentheses")
    sparql_memory_mb: int = _setting(
        2048, "每个 SPARQL 工作进程的额外内存上限（MB）/ extra memory a SPARQL worker may take, MB")
    sparql_backend: str = _setting(
        "", "外部 SPARQL 1.1 存储的查询端点（空：内嵌 Oxigraph），如 http://store:7878/query / "
            "query endpoint of an external SPARQL 1.1 store (empty: the embedded Oxigraph)")
    sparql_backend_refresh: float = _setting(
        2.0, "多久重读一次外部存储的当前发布指针（秒）/ how often the external store's current-"
             "release pointer is read again, s")
    history_cache: int = _setting(
        4, "内存中保留的历史版本快照数 / past-revision snapshots kept in memory")
    cors_origins: list[str] = _setting(
        ["*"], "允许跨域读取的来源 / origins allowed to read across sites (CORS)")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then ``POWERS_<NAME>`` environment variables, then ``overrides``."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"POWERS_{f.name.upper()}")
            if raw is None:
                continue
            if f.name in ("root", "site_dir"):
                values[f.name] = Path(raw)
            elif f.name == "cors_origins":
                values[f.name] = [o.strip() for o in raw.split(",") if o.strip()]
            elif isinstance(f.default, bool):
                values[f.name] = raw.lower() in ("1", "true", "yes")
            elif isinstance(f.default, int):
                values[f.name] = int(raw)
            elif isinstance(f.default, float):
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def describe() -> list[tuple[str, object, str]]:
    """(name, default, help) of every setting, for docs and ``--help``."""
    return [(f.name, f.default_factory() if f.default is MISSING else f.default,  # type: ignore[misc]
             f.metadata["help"]) for f in fields(Settings)]
