"""`/cohorts/{code}/settings`: the cohort's seats and application window through the programs
catalog API (admins and the program's managers: the service decides), its stages and rubrics
shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
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
