"""Domain errors of the API services, each with a stable code and a bilingual message.

The services raise these and know nothing of HTTP; ``STATUS`` (the one table) maps each
to its HTTP status, and ``api.app`` turns them into ``{"error": CODE, "message": …}``.
"""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error a client can cause or meet; ``code`` never changes."""

    code = "ERROR"

    def __init__(self, message: str, **detail):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_dict(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body


class NotFound(ApiError):
    code = "NOT_FOUND"


class PowerNotFound(NotFound):
    code = "POWER_NOT_FOUND"

    def __init__(self, code: str):
        super().__init__(f"未找到编码为 {code} 的权力。/ No power with code {code}.", code=code)


class DepartmentNotFound(NotFound):
    code = "DEPARTMENT_NOT_FOUND"

    def __init__(self, slug: str):
        super().__init__(f"未找到部门 {slug}。/ No department {slug}.", department=slug)


class LawNotFound(NotFound):
    code = "LAW_NOT_FOUND"

    def __init__(self, law_id: str):
        super().__init__(f"未找到法律法规 {law_id}。/ No law {law_id}.", law=law_id)


class VocabularyNotFound(NotFound):
    code = "VOCABULARY_NOT_FOUND"

    def __init__(self, name: str):
        super().__init__(f"未找到代码表 {name}。/ No vocabulary {name}.", vocabulary=name)


class RevisionNotFound(NotFound):
    code = "REVISION_NOT_FOUND"

    def __init__(self, rev: str, message: str | None = None):
        super().__init__(message or f"未找到版本 {rev}（提交、标签或日期 YYYY-MM-DD）。/ No "
                         f"revision {rev} (a commit, a tag or a date YYYY-MM-DD).", at=rev)


class InvalidParameter(ApiError):
    code = "INVALID_PARAMETER"


class InvalidCode(InvalidParameter):
    code = "INVALID_CODE"

    def __init__(self, value: str, what: str = "基本编码 / code", pattern: str = r"\d{12}"):
        super().__init__(f"{what} 格式不对：应匹配 {pattern}。/ Malformed {what.split(' / ')[-1]}: "
                         f"it must match {pattern}.", pattern=pattern)


class InvalidCursor(InvalidParameter):
    code = "INVALID_CURSOR"

    def __init__(self):
        super().__init__("分页游标无效：请使用上一页返回的 next。/ Invalid cursor: use the `next` "
                         "link of the previous page.")


class InvalidEncoding(InvalidParameter):
    code = "INVALID_ENCODING"

    def __init__(self):
        super().__init__("请求的网址或参数不是合法的 UTF-8。/ The URL or its parameters are not "
                         "valid UTF-8.")


class NotAcceptable(ApiError):
    code = "NOT_ACCEPTABLE"

    def __init__(self, available: list[str]):
        super().__init__("无法提供所要求的格式。/ None of the requested media types can be "
                         f"served. 可用 Available: {', '.join(available)}.", available=available)


class UnsupportedMediaType(ApiError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class TooLarge(ApiError):
    code = "REQUEST_TOO_LARGE"


class UriTooLong(ApiError):
    code = "URI_TOO_LONG"


class HistoryUnavailable(ApiError):
    code = "HISTORY_UNAVAILABLE"


class SearchUnavailable(ApiError):
    code = "SEARCH_UNAVAILABLE"


class SparqlUnavailable(ApiError):
    code = "SPARQL_UNAVAILABLE"


# --- SPARQL -----------------------------------------------------------------------------

class MalformedQuery(ApiError):
    code = "MALFORMED_QUERY"


class QueryTooComplex(ApiError):
    code = "QUERY_TOO_COMPLEX"


class UpdateRefused(ApiError):
    code = "UPDATE_REFUSED"

    def __init__(self):
        super().__init__("本端点只读：SPARQL 更新（INSERT/DELETE/LOAD/CLEAR/…）一律拒绝，未执行。/ "
                         "This endpoint is read-only: SPARQL updates are refused and were not "
                         "executed. 修改数据请提交记录文件的拉取请求 / change the data through a "
                         "pull request on the record files.")


class ServiceRefused(ApiError):
    code = "SERVICE_NOT_ALLOWED"

    def __init__(self):
        super().__init__("不支持联邦查询（SERVICE）。/ Federated queries (SERVICE) are not "
                         "allowed on this endpoint.")


class QueryTimeout(ApiError):
    code = "QUERY_TIMEOUT"

    def __init__(self, seconds: float):
        super().__init__(f"查询超过 {seconds:g} 秒时限，已终止。/ The query ran past the "
                         f"{seconds:g} s limit and was stopped. 修正 Fix: 缩小查询范围或加 LIMIT / "
                         "narrow the query or add a LIMIT.", limit_seconds=seconds)


class ResultTooLarge(ApiError):
    code = "RESULT_TOO_LARGE"

    def __init__(self, limit: int):
        super().__init__(f"查询结果超过 {limit:,} 字节上限。/ The result is larger than the "
                         f"{limit:,}-byte limit. 修正 Fix: 加 LIMIT 或减少变量 / add a LIMIT or "
                         "select fewer variables.", limit_bytes=limit)


class QueryFailed(ApiError):
    code = "QUERY_FAILED"


class Busy(ApiError):
    code = "BUSY"


#: The one table: domain error → HTTP status (most specific class first wins by MRO).
STATUS: dict[type[ApiError], int] = {
    NotFound: 404,
    InvalidParameter: 400,
    MalformedQuery: 400,
    QueryTooComplex: 400,
    ServiceRefused: 400,
    ResultTooLarge: 400,
    UpdateRefused: 403,
    NotAcceptable: 406,
    TooLarge: 413,
    UriTooLong: 414,
    UnsupportedMediaType: 415,
    QueryFailed: 500,
    HistoryUnavailable: 501,
    SearchUnavailable: 503,
    SparqlUnavailable: 503,
    QueryTimeout: 503,
    Busy: 503,
    ApiError: 500,
}


def status_of(exc: ApiError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500
