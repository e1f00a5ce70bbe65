"""`/cohorts/{code}/reviewers`: each stage's reviewer pool with each reviewer's progress
(assigned, scored, conflicts, overdue, external), and adding reviewers by e-mail (marked
external, 외부 평가위원, when they come from outside the hub) with N per application
(the applications service assigns; notifications invites those without an account)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters import manager_calls as calls
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.manager_forms import (
    end_of_day_in_seoul,
    gathered,
    optional_int,
    reviewer_lines,
)
from aihub_console.domain.refusals import FormErrors
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import gettext
from aihub_console.entrypoints.manager_labels import manager_page
from aihub_console.entrypoints.pages import flash, form_errors_of

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request,
    apis: Services,
    code: str,
    *,
    errors: FormErrors | None = None,
    sent: dict[str, str] | None = None,
) -> HTMLResponse:
    pipeline = await calls.pipeline(apis.applications, code)
    progress = await asyncio.gather(
        *(calls.stage_reviewers(apis.applications, code, s.stage_code) for s in pipeline.stages)
    )
    context = {
        "code": code,
        "stages": list(zip(pipeline.stages, progress, strict=True)),
        "errors": errors or FormErrors(),
        "sent": sent or {},
    }
    return manager_page(request, "cohorts/reviewers.html", context, status=422 if errors else 200)


@router.get("/cohorts/{cohort_code}/reviewers")
async def reviewer_pool(
    request: Request, cohort_code: str, apis: Services = Depends(services)
) -> HTMLResponse:
    return await _page(request, apis, cohort_code)


@router.post("/cohorts/{cohort_code}/reviewers")
async def add_reviewers(
    request: Request,
    cohort_code: str,
    apis: Services = Depends(services),
    stage: str = Form(max_length=64),
    reviewers: str = Form(default="", max_length=20_000),
    per_application: str = Form(default="", max_length=4),
    due_at: str = Form(default="", max_length=10),
    external: bool = Form(default=False),
) -> Response:
    sent = {"stage": stage, "reviewers": reviewers, "per_application": per_application}
    sent["due_at"] = due_at
    sent["external"] = "true" if external else ""
    problems: dict[str, list[str]] = {}
    try:
        per = optional_int(per_application)
    except ValueError:
        problems["per_application"] = [gettext(request, "Give a whole number.")]
    try:
        due = end_of_day_in_seoul(due_at)
    except ValueError:
        problems["due_at"] = [gettext(request, "Give a day as YYYY-MM-DD.")]
    if problems:
        return await _page(request, apis, cohort_code, errors=FormErrors(problems), sent=sent)
    lines = [
        {"id": r.email, "name": r.name, "external": external} for r in reviewer_lines(reviewers)
    ]
    try:
        result = await calls.assign_reviewers(
            apis.applications, cohort_code, stage, lines, per, due
        )
    except ServiceRefusal as refusal:
        errors = gathered(form_errors_of(request, refusal), "reviewers")
        return await _page(request, apis, cohort_code, errors=errors, sent=sent)
    message = gettext(request, "%(count)s assignments made.") % {"count": len(result.assigned)}
    if result.short_of_reviewers:
        message += " " + gettext(
            request, "%(count)s applications still lack reviewers: add more to the pool."
        ) % {"count": len(result.short_of_reviewers)}
    flash(request, message, "success")
    return RedirectResponse(f"/cohorts/{cohort_code}/reviewers", status_code=303)
