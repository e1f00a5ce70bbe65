"""`/cohorts/{code}/enrollments`: seats, the waitlist with its positions, agreements signed,
and the staff actions of the programs service (record a signed agreement, cancel with a
reason, record that the startup gave up its agreement: 협약 포기)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters import manager_calls as calls
from aihub_console.adapters import rule_calls
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import gettext
from aihub_console.entrypoints.manager_labels import manager_page
from aihub_console.entrypoints.pages import flash, form_errors_of

router = APIRouter(include_in_schema=False)


async def _enrollments_page(
    request: Request,
    apis: Services,
    code: str,
    *,
    status: str = "",
    offset: int = 0,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    cohort = await calls.cohort(apis.programs, code)
    page = await calls.enrollments(apis.programs, code, status or None, offset)
    context = {
        "code": code,
        "cohort": cohort,
        "page": page,
        "status": status,
        "errors": errors or FormErrors(),
    }
    return manager_page(request, "cohorts/enrollments.html", context, status=409 if errors else 200)


@router.get("/cohorts/{cohort_code}/enrollments")
async def enrollments(
    request: Request,
    cohort_code: str,
    apis: Services = Depends(services),
    status: str = Query(default="", pattern="^(|confirmed|waitlisted|cancelled)$"),
    offset: int = Query(default=0, ge=0),
) -> HTMLResponse:
    return await _enrollments_page(request, apis, cohort_code, status=status, offset=offset)


@router.post("/cohorts/{cohort_code}/enrollments/{application_id}/agreement")
async def agreement_signed(
    request: Request, cohort_code: str, application_id: str, apis: Services = Depends(services)
) -> Response:
    try:
        await calls.sign_agreement(apis.programs, application_id)
    except ServiceRefusal as refusal:
        errors = form_errors_of(request, refusal)
        return await _enrollments_page(request, apis, cohort_code, errors=errors)
    flash(request, gettext(request, "The signed agreement is recorded."), "success")
    return RedirectResponse(f"/cohorts/{cohort_code}/enrollments", status_code=303)


@router.post("/cohorts/{cohort_code}/enrollments/{application_id}/cancellation")
async def cancel(
    request: Request,
    cohort_code: str,
    application_id: str,
    apis: Services = Depends(services),
    reason: str = Form(default="", max_length=2000),
) -> Response:
    try:
        await calls.cancel_enrollment(apis.programs, application_id, reason)
    except ServiceRefusal as refusal:
        errors = form_errors_of(request, refusal)
        return await _enrollments_page(request, apis, cohort_code, errors=errors)
    flash(request, gettext(request, "The enrollment is cancelled."), "success")
    return RedirectResponse(f"/cohorts/{cohort_code}/enrollments", status_code=303)


@router.post("/cohorts/{cohort_code}/enrollments/{application_id}/give-up")
async def give_up(
    request: Request,
    cohort_code: str,
    application_id: str,
    apis: Services = Depends(services),
    reason: str = Form(default="", max_length=2000),
) -> Response:
    """협약 포기: the startup gave up its agreement; programs frees the seat for the next
    reserve rank and tells both."""
    try:
        await rule_calls.give_up_agreement(apis.programs, application_id, reason)
    except ServiceRefusal as refusal:
        errors = form_errors_of(request, refusal)
        return await _enrollments_page(request, apis, cohort_code, errors=errors)
    given_up = gettext(
        request, "The agreement is given up: the seat goes to the next reserve rank."
    )
    flash(request, given_up, "success")
    return RedirectResponse(f"/cohorts/{cohort_code}/enrollments", status_code=303)
