"""`/cohorts/{code}/enrollments`: seats, the waitlist with its positions, agreements signed,
and the two staff actions of the programs service (record a signed agreement, cancel with a
reason); `/cohorts/{code}/settings`: the cohort's seats and application window through the
programs catalog API (admins and the program's managers: the service decides)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters import manager_calls as calls
from aihub_console.adapters.manager_views import CohortDetail
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import SEOUL, gettext
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


def _settings_of(cohort: CohortDetail) -> dict[str, Any]:
    """The cohort's settings as `PUT /cohorts/{code}` takes them (the whole set: it replaces)."""
    kept: dict[str, Any] = cohort.model_dump(mode="json", exclude_none=True)
    for key in ("cohort_code", "program_code", "program_name_ko", "program_name_en"):
        kept.pop(key, None)
    for key in ("seats_taken", "waitlisted"):
        kept.pop(key, None)
    return kept


def _local(value: datetime) -> str:
    return value.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


@router.get("/cohorts/{cohort_code}/settings")
async def settings_page(
    request: Request, cohort_code: str, apis: Services = Depends(services)
) -> HTMLResponse:
    cohort = await calls.cohort(apis.programs, cohort_code)
    sent = {
        "seats": str(cohort.seats),
        "application_opens_at": _local(cohort.application_opens_at),
        "application_closes_at": _local(cohort.application_closes_at),
    }
    context = {"code": cohort_code, "cohort": cohort, "sent": sent}
    return manager_page(request, "cohorts/settings.html", context)


@router.post("/cohorts/{cohort_code}/settings")
async def save_settings(
    request: Request,
    cohort_code: str,
    apis: Services = Depends(services),
    seats: str = Form(default="", max_length=6),
    application_opens_at: str = Form(default="", max_length=20),
    application_closes_at: str = Form(default="", max_length=20),
) -> Response:
    cohort = await calls.cohort(apis.programs, cohort_code)
    sent = {
        "seats": seats,
        "application_opens_at": application_opens_at,
        "application_closes_at": application_closes_at,
    }
    body = _settings_of(cohort)
    problems: dict[str, list[str]] = {}
    body["seats"] = seats  # the service checks the number and says why at the field
    for key in ("application_opens_at", "application_closes_at"):
        try:
            body[key] = datetime.fromisoformat(sent[key]).replace(tzinfo=SEOUL).isoformat()
        except ValueError:
            problems[key] = [gettext(request, "Give a date and time.")]
    errors = FormErrors(problems)
    if not problems:
        try:
            await calls.update_cohort(apis.programs, cohort_code, body)
        except ServiceRefusal as refusal:
            errors = form_errors_of(request, refusal)
    if errors:
        context = {"code": cohort_code, "cohort": cohort, "sent": sent, "errors": errors}
        return manager_page(request, "cohorts/settings.html", context, status=422)
    flash(request, gettext(request, "The cohort's settings are saved."), "success")
    return RedirectResponse(f"/cohorts/{cohort_code}/settings", status_code=303)
