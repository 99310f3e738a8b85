"""Response shapes, for the OpenAPI document (and so for generated clients).

The routes send precomputed bytes, so these models never validate a response at run
time; ``tests/test_api_rest.py`` checks that real responses parse with them. Every model
allows extra fields, so adding a field never breaks a client.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Error(_Open):
    error: str = Field(description="稳定的错误代码 / stable error code, e.g. POWER_NOT_FOUND")
    message: str = Field(description="中文 / English message")
    detail: dict | None = None


class Citation(_Open):
    order: int
    law: str
    law_title: str = ""
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    provision: str = ""
    quote: str = ""
    raw_text: str = ""


class Tier(_Open):
    order: int
    tier: str
    tier_label: str = ""
    condition: str = ""
    fine_min: int | None = None
    fine_max: int | None = None
    fine_text: str = ""


class Responsibility(_Open):
    order: int
    stage: str
    stage_label: str = ""
    description: str = ""


class PowerSummary(_Open):
    code: str = Field(description="12位基本编码 / 12-digit code")
    iri: str
    title: str
    title_en: str = ""
    power_type: str
    power_type_label: str = ""
    department: str
    department_name: str = ""
    levels: list[str] = []
    status: str
    star_rating: int | None = None
    main_item: str | None = None
    url: str | None = None


class Power(PowerSummary):
    handling_unit: str = ""
    status_label: str = ""
    level_labels: list[str] = []
    service_objects: list[str] = []
    statutory_time_limit: int | None = None
    promised_time_limit: int | None = None
    charges_fee: bool | None = None
    fee_basis: str = ""
    citations: list[Citation] = []
    tiers: list[Tier] = []
    responsibilities: list[Responsibility] = []
    accountability: list[str] = []
    accountability_basis: list[str] = []
    status_decision: str = ""
    status_date: str | None = None
    successors: list[str] = []
    links: dict[str, str] = {}


class PowerPage(_Open):
    items: list[PowerSummary]
    count: int = Field(description="符合条件的总数 / how many match in all")
    limit: int
    next: str | None = Field(None, description="下一页链接 / link to the next page")
    next_cursor: str | None = None


class DepartmentSummary(_Open):
    slug: str
    iri: str
    name: str
    name_en: str = ""
    code: str = ""
    category: str = ""
    powers: int
    url: str


class Department(_Open):
    slug: str
    iri: str
    name: str
    name_en: str = ""
    alt_names: list[str] = []
    code: str = ""
    credit_code: str = ""
    category: str = ""
    powers: dict = {}
    links: dict[str, str] = {}


class LawSummary(_Open):
    id: str
    iri: str
    title: str
    short_title: str = ""
    level: str = ""
    level_label: str = ""
    status: str = ""
    powers: int
    url: str


class CitingPower(PowerSummary):
    provisions: list[str] = []


class Law(_Open):
    id: str
    iri: str
    title: str
    short_title: str = ""
    level: str = ""
    level_label: str = ""
    issued_by: str = ""
    document_number: str = ""
    promulgated: str | None = None
    in_force_date: str | None = None
    amendments: list[str] = []
    status: str = ""
    status_label: str = ""
    powers: list[CitingPower] = []
    links: dict[str, str] = {}


class VocabularySummary(_Open):
    name: str
    iri: str
    label: str
    label_en: str = ""
    concepts: int
    url: str


class Concept(_Open):
    iri: str
    key: str
    notation: str
    label: str
    label_en: str = ""
    definition: str = ""
    definition_en: str = ""


class Vocabulary(_Open):
    name: str
    iri: str
    label: str
    label_en: str = ""
    source: str = ""
    concepts: list[Concept]


class Hit(_Open):
    code: str
    title: str
    department: str
    department_name: str
    power_type: str
    type_label: str
    levels: list[str]
    status: str
    star: int | None = None
    score: float
    highlights: dict[str, str] = Field(
        default_factory=dict, description="HTML 片段，匹配处用 <mark> / HTML fragments, matches "
                                          "in <mark> (text escaped)")


class FacetValue(_Open):
    key: str
    label: str
    count: int


class SearchResult(_Open):
    query: str
    words: list[str]
    relaxed: bool = False
    total: int
    offset: int
    limit: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    took_ms: float


class Stats(_Open):
    in_force: int
    abolished: int
    departments: int
    laws: int
    by_status: dict[str, int]
    by_type: dict[str, int]
    by_department: dict[str, int]
    by_level: dict[str, int]
    labels: dict[str, dict[str, str]] = {}
    revision: str | None = None


class FieldChange(_Open):
    field: str
    label: str
    before: str
    after: str


class Version(_Open):
    commit: str
    short: str
    author: str
    date: str
    message: str
    path: str
    change: str
    fields: list[FieldChange] = []


class Change(_Open):
    commit: str
    short: str
    date: str
    author: str
    message: str
    items: list[dict] = []


ERRORS = {
    400: {"model": Error, "description": "参数错误 / bad parameter"},
    404: {"model": Error, "description": "未找到 / not found"},
    406: {"model": Error, "description": "无法提供该格式 / media type not available"},
}


class Health(_Open):
    status: str
    powers: int
    sparql: str = Field(description="ready | starting | disabled")
    search: str = Field(description="ready | starting | disabled")


class ApiIndex(_Open):
    title: str
    revision: str | None = None
    fingerprint: str
    powers: int
    links: dict[str, str]
