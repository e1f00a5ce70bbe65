"""Manager pages of cohorts: `/cohorts` (those the person may manage), `/cohorts/{code}` (the
pipeline), `/cohorts/{code}/applications` (filter, search, paginate; htmx swaps the table) and
`/applications/{id}` (one application with its history and reviews, and for its managers its
challenges of reviewers and bonus points: `selection_rules.py` acts on them)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from aihub_console.adapters import manager_calls as calls
from aihub_console.domain.refusals import FormErrors
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.manager_labels import manager_page
from aihub_console.service_layer.cohort_overview import (
    answer_labels,
    criterion_names,
    managed_cohorts,
    replicated_cohort,
    stage_names,
)
from aihub_console.service_layer.selection_rules import application_rules

router = APIRouter(include_in_schema=False)

STATUSES = (
    "received",
    "accepted",
    "rejected",
    "withdrawn",
    "ineligible",
    "enrolled",
    "waitlisted",
    "agreement_signed",
    "cancelled",
)


@router.get("/cohorts")
async def cohort_list(request: Request, apis: Services = Depends(services)) -> HTMLResponse:
    return manager_page(
        request, "cohorts/list.html", {"cohorts": await managed_cohorts(apis.applications)}
    )


@router.get("/cohorts/{cohort_code}")
async def cohort_pipeline(
    request: Request, cohort_code: str, apis: Services = Depends(services)
) -> HTMLResponse:
    pipeline = await calls.pipeline(apis.applications, cohort_code)
    cohort = await calls.cohort(apis.programs, cohort_code)
    return manager_page(
        request,
        "cohorts/pipeline.html",
        {"code": cohort_code, "pipeline": pipeline, "cohort": cohort, "statuses": STATUSES},
    )


@router.get("/cohorts/{cohort_code}/applications")
async def cohort_applications(
    request: Request,
    cohort_code: str,
    apis: Services = Depends(services),
    status: str = Query(default="", max_length=32),
    stage: str = Query(default="", max_length=64),
    q: str = Query(default="", max_length=200),
    offset: int = Query(default=0, ge=0),
) -> HTMLResponse:
    filters = {"status": status or None, "stage_code": stage or None, "q": q.strip() or None}
    page = await calls.applications(apis.applications, cohort_code, filters, offset)
    pipeline = await calls.pipeline(apis.applications, cohort_code)
    context = {
        "code": cohort_code,
        "page": page,
        "stages": pipeline.stages,
        "stage_names": stage_names(pipeline),
        "statuses": STATUSES,
        "chosen": {"status": status, "stage": stage, "q": q},
    }
    # htmx asks for the table only (filter, search, next page); a person, for the page.
    template = (
        "cohorts/_applications_table.html"
        if request.headers.get("HX-Request")
        else ("cohorts/applications.html")
    )
    return manager_page(request, template, context)


@router.get("/applications/{application_id}")
async def application_detail(
    request: Request, application_id: uuid.UUID, apis: Services = Depends(services)
) -> HTMLResponse:
    return await application_page(request, apis, str(application_id))


async def application_page(
    request: Request,
    apis: Services,
    application_id: str,
    *,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The application with its history, and (for its managers) its challenges and bonus
    points; `errors` and `typed` are a refused form's reasons and what was typed in it."""
    detail = await calls.application(apis.applications, application_id)
    pipeline = await calls.pipeline(apis.applications, detail.cohort_code)
    cohort = await replicated_cohort(apis.applications, detail.cohort_code)
    first_stage = pipeline.stages[0].stage_code if pipeline.stages else ""
    rules = await application_rules(
        apis.applications, apis.programs, detail, detail.stage_code or first_stage
    )
    context = {
        "application": detail,
        "answer_labels": answer_labels(cohort),
        "criterion_names": criterion_names(cohort),
        "stage_names": stage_names(pipeline),
        "first_stage": first_stage,
        "rules": rules,
        "errors": errors or FormErrors(),
        "typed": typed or {},
    }
    return manager_page(request, "cohorts/application.html", context, status=status)
