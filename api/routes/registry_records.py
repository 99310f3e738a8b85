"""/api/departments, /api/laws, /api/vocabularies: JSON, or the record file in RDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from .. import errors, schemas
from ..catalog import RECORD_TYPES
from ..http import send
from .common import At, Format, Svc, answer, catalog_at, media_for

router = APIRouter()
RDF_CONTENT = {"application/ld+json": {}, "text/turtle": {}, "application/n-triples": {}}
Id = Annotated[str, Path(max_length=64)]


@router.get("/departments", tags=["departments"], summary="部门列表 / Departments",
            response_model=list[schemas.DepartmentSummary])
async def list_departments(request: Request, svc: Svc, at: At = None) -> Response:
    """Every department with its count of powers in force."""
    cat = await catalog_at(svc, at)
    return await answer(request, svc, cat, cat.departments, vary=None)


@router.get("/departments/{slug}", tags=["departments"], summary="一个部门 / One department",
            response_model=None, responses={200: {"model": schemas.Department,
                                                  "content": RDF_CONTENT}, **schemas.ERRORS})
async def get_department(request: Request, svc: Svc, slug: Id, format: Format = None,
                         at: At = None) -> Response:
    """A department, with its powers counted by type (JSON), or its record in RDF."""
    media = media_for(request, RECORD_TYPES, format)
    cat = await catalog_at(svc, at)
    if media == "application/json":
        return await answer(request, svc, cat, lambda: cat.department(slug), media=media)
    return send(request, cat.file_representation(cat.department_path(slug), media))


@router.get("/laws", tags=["laws"], summary="法律法规列表 / Laws",
            response_model=list[schemas.LawSummary], responses=schemas.ERRORS)
async def list_laws(request: Request, svc: Svc, level: Annotated[str | None, Query(
                        max_length=40, description="效力层级 / law level, e.g. law")] = None,
                    at: At = None) -> Response:
    """Every law, regulation and rule cited, with how many powers cite it."""
    cat = await catalog_at(svc, at)
    return await answer(request, svc, cat, lambda: cat.laws(level), vary=None)


@router.get("/laws/{law_id}", tags=["laws"], summary="一部法律法规 / One law",
            response_model=None, responses={200: {"model": schemas.Law, "content": RDF_CONTENT},
                                            **schemas.ERRORS})
async def get_law(request: Request, svc: Svc, law_id: Id, format: Format = None,
                  at: At = None) -> Response:
    """A law with every power citing it and the provisions cited (JSON), or its record."""
    media = media_for(request, RECORD_TYPES, format)
    cat = await catalog_at(svc, at)
    if media == "application/json":
        return await answer(request, svc, cat, lambda: cat.law(law_id), media=media)
    return send(request, cat.file_representation(cat.law_path(law_id), media))


@router.get("/vocabularies", tags=["vocabularies"], summary="代码表 / Code lists",
            response_model=list[schemas.VocabularySummary])
async def list_vocabularies(request: Request, svc: Svc, at: At = None) -> Response:
    """The SKOS concept schemes: power types, exercise levels, statuses, …"""
    cat = await catalog_at(svc, at)
    return await answer(request, svc, cat, cat.vocabularies, vary=None)


@router.get("/vocabularies/{name}", tags=["vocabularies"], summary="一个代码表 / One code "
            "list", response_model=None,
            responses={200: {"model": schemas.Vocabulary, "content": RDF_CONTENT},
                       **schemas.ERRORS})
async def get_vocabulary(request: Request, svc: Svc, name: Id, format: Format = None,
                         at: At = None) -> Response:
    """A code list and its concepts in order (JSON), or its file in RDF."""
    media = media_for(request, RECORD_TYPES, format)
    cat = await catalog_at(svc, at)
    if media == "application/json":
        return await answer(request, svc, cat, lambda: cat.vocabulary(name), media=media)
    path = cat.vocabulary_path(name)
    if path is None:
        raise errors.NotAcceptable(["application/json"])
    return send(request, cat.file_representation(path, media))
