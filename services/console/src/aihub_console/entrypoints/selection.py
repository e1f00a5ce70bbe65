"""Closing the review: `/cohorts/{code}/stages/{stage}/advance` (the service's preview of who
passes and its external-share check, then the confirmed advance), `/cohorts/{code}/ranking`
(final scores, the tie-break named, raw and calibrated stage scores, the spread, the dropped
reviewers, the bonus and the cut-off failures; the selection with its reserve previewed then
confirmed, decisions on chosen applications with one reason) and `/cohorts/{code}/ranking.csv`
(the service's export, streamed through: the same columns)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from aihub_console.adapters import manager_calls as calls
from aihub_console.adapters import rule_calls
from aihub_console.adapters.manager_views import Outcome, Page
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.manager_forms import optional_int
from aihub_console.domain.refusals import FormErrors
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import gettext
from aihub_console.entrypoints.manager_labels import manager_page
from aihub_console.entrypoints.pages import flash, form_errors_of
from aihub_console.service_layer.cohort_overview import (
    calibrated_stages,
    replicated_cohort,
    stage_names,
)

router = APIRouter(include_in_schema=False)


@router.get("/cohorts/{cohort_code}/stages/{stage_code}/advance")
async def advance_preview(
    request: Request,
    cohort_code: str,
    stage_code: str,
    apis: Services = Depends(services),
    offset: int = Query(default=0, ge=0),
) -> HTMLResponse:
    return await _advance_page(request, apis, cohort_code, stage_code, offset=offset)


async def _preview_page(
    request: Request, apis: Services, code: str, stage: str, offset: int
) -> tuple[Page[Outcome] | None, int, str | None]:
    """A page of the service's preview and how many pass; or the reason it refuses (409)."""
    try:
        preview, passing = await calls.advance_preview(apis.applications, code, stage, offset)
    except ServiceRefusal as refusal:
        if refusal.status not in (409,):
            raise
        return None, 0, form_errors_of(request, refusal).message
    return preview, passing, None


async def _advance_page(
    request: Request,
    apis: Services,
    code: str,
    stage: str,
    *,
    offset: int = 0,
    errors: FormErrors | None = None,
    reason: str = "",
) -> HTMLResponse:
    # The three answers do not depend on each other: asked at once.
    pipeline, (preview, passing, refused), panel = await asyncio.gather(
        calls.pipeline(apis.applications, code),
        _preview_page(request, apis, code, stage, offset),
        rule_calls.panel_check(apis.applications, code, stage),
    )
    names = stage_names(pipeline)
    context = {
        "code": code,
        "stage": stage,
        "stage_name": names.get(stage, {}),
        "preview": preview,
        "passing": passing,
        "refused": refused,
        "panel": panel,
        "errors": errors or FormErrors(),
        "reason": reason,
    }
    status = 409 if refused or errors else 200
    return manager_page(request, "cohorts/advance.html", context, status=status)


@router.post("/cohorts/{cohort_code}/stages/{stage_code}/advance")
async def advance(
    request: Request,
    cohort_code: str,
    stage_code: str,
    apis: Services = Depends(services),
    reason: str = Form(default="", max_length=2000),
) -> Response:
    try:
        outcomes = await calls.advance(apis.applications, cohort_code, stage_code, reason)
    except ServiceRefusal as refusal:
        errors = form_errors_of(request, refusal)
        return await _advance_page(
            request, apis, cohort_code, stage_code, errors=errors, reason=reason
        )
    passed = sum(1 for o in outcomes if o.passed)
    flash(
        request,
        gettext(request, "%(passed)s advanced, %(rejected)s rejected.")
        % {"passed": passed, "rejected": len(outcomes) - passed},
        "success",
    )
    return RedirectResponse(f"/cohorts/{cohort_code}", status_code=303)


@router.get("/cohorts/{cohort_code}/ranking")
async def ranking(
    request: Request,
    cohort_code: str,
    apis: Services = Depends(services),
    offset: int = Query(default=0, ge=0),
    reserve: str = Query(default="", max_length=4),
) -> HTMLResponse:
    return await _ranking_page(request, apis, cohort_code, offset=offset, reserve=reserve)


async def _ranking_page(
    request: Request,
    apis: Services,
    code: str,
    *,
    offset: int = 0,
    reserve: str = "",
    errors: FormErrors | None = None,
    reason: str = "",
) -> HTMLResponse:
    pipeline, page, replicated, bonus = await asyncio.gather(
        calls.pipeline(apis.applications, code),
        calls.ranking(apis.applications, code, offset),
        replicated_cohort(apis.applications, code),
        rule_calls.cohort_bonus(apis.programs, code),
    )
    preview: Page[Outcome] | None = None
    preview_refused = None
    errors = errors or FormErrors()
    if "reserve" in request.query_params or errors:
        try:
            preview = await calls.selection_preview(apis.applications, code, optional_int(reserve))
        except ValueError:
            errors = FormErrors({"reserve": [gettext(request, "Give a whole number.")]})
        except ServiceRefusal as refusal:
            preview_refused = form_errors_of(request, refusal)
    context = {
        "code": code,
        "page": page,
        "stages": pipeline.stages,
        "stage_names": stage_names(pipeline),
        "calibrated": calibrated_stages(replicated),
        "bonus_names": {item.code: item.name for item in bonus.bonus_items},
        "preview": preview,
        "preview_refused": preview_refused,
        "reserve": reserve,
        "reason": reason,
        "errors": errors,
    }
    status = 422 if errors else 200
    return manager_page(request, "cohorts/ranking.html", context, status=status)


@router.post("/cohorts/{cohort_code}/selection")
async def select(
    request: Request,
    cohort_code: str,
    apis: Services = Depends(services),
    reason: str = Form(default="", max_length=2000),
    reserve: str = Form(default="", max_length=4),
) -> Response:
    try:
        outcomes = await calls.select(apis.applications, cohort_code, reason, optional_int(reserve))
    except ValueError:
        errors = FormErrors({"reserve": [gettext(request, "Give a whole number.")]})
        return await _ranking_page(request, apis, cohort_code, errors=errors, reason=reason)
    except ServiceRefusal as refusal:
        return await _ranking_page(
            request,
            apis,
            cohort_code,
            reserve=reserve,
            errors=form_errors_of(request, refusal),
            reason=reason,
        )
    accepted = sum(1 for o in outcomes if o.passed)
    flash(
        request,
        gettext(request, "%(accepted)s accepted (seats and reserve), %(rejected)s rejected.")
        % {"accepted": accepted, "rejected": len(outcomes) - accepted},
        "success",
    )
    return RedirectResponse(f"/cohorts/{cohort_code}/ranking", status_code=303)


@router.post("/cohorts/{cohort_code}/decisions")
async def decide(
    request: Request,
    cohort_code: str,
    apis: Services = Depends(services),
    reason: str = Form(default="", max_length=2000),
    outcome: str = Form(default="rejected", pattern="^(accepted|rejected)$"),
    application_id: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """One reason for every chosen application, all or nothing (the service's rule): the
    answer says which one was refused and why, else how many were decided."""
    decisions = [{"application_id": a, "outcome": outcome} for a in application_id or []]
    try:
        decided = await calls.decide_many(apis.applications, reason, decisions)
    except ServiceRefusal as refusal:
        errors = form_errors_of(request, refusal)
        return await _ranking_page(request, apis, cohort_code, errors=errors, reason=reason)
    flash(
        request,
        gettext(request, "%(count)s applications decided.") % {"count": len(decided)},
        "success",
    )
    return RedirectResponse(f"/cohorts/{cohort_code}/ranking", status_code=303)


@router.get("/cohorts/{cohort_code}/ranking.csv")
async def ranking_csv(cohort_code: str, apis: Services = Depends(services)) -> Response:
    response = await calls.open_ranking_csv(apis.applications, cohort_code)
    return StreamingResponse(
        response.aiter_bytes(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{cohort_code}-ranking.csv"'},
        background=calls.closing(response),
    )
