"""`/cohorts/{code}/settings`: the cohort's seats, application window, review stages with their
rubrics and per-stage rules, and bonus items, through programs' `PUT /cohorts/{code}` (admins and
the program's managers: the service decides, and judges every value)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters import manager_calls as calls
from aihub_console.adapters.manager_views import CohortDetail
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors
from aihub_console.domain.rubric_form import (
    CALIBRATIONS,
    DISCLOSURES,
    RubricBody,
    RubricRows,
    rows_from_form,
    rows_from_settings,
    rubric_body,
    with_blank_rows,
)
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import SEOUL, gettext
from aihub_console.entrypoints.manager_labels import manager_page
from aihub_console.entrypoints.pages import flash, form_errors_of

router = APIRouter(include_in_schema=False)

#: What `PUT /cohorts/{code}` replaces: every one is sent, changed or as it was.
_SETTINGS = (
    "seats",
    "application_opens_at",
    "application_closes_at",
    "starts_on",
    "ends_on",
    "max_startup_age_years",
    "questions",
    "review_stages",
    "agreement_due_days",
    "consent_text",
    "retention",
    "bonus_items",
    "bonus_cap",
)
#: Fields this form shows (with their error slots); a reason about any other is the page's.
_WINDOW = ("application_opens_at", "application_closes_at")
_SHOWN = frozenset(("seats", *_WINDOW, "review_stages", "bonus_items", "bonus_cap"))


def _settings_of(cohort: CohortDetail) -> dict[str, Any]:
    """The cohort's settings as `PUT /cohorts/{code}` takes them (the whole set: it replaces)."""
    current = cohort.model_dump(mode="json")
    return {key: current[key] for key in _SETTINGS if current.get(key) is not None}


def _local(value: datetime) -> str:
    return value.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


def _page(
    request: Request,
    cohort: CohortDetail,
    sent: dict[str, str],
    rows: RubricRows,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    context = {
        "code": cohort.cohort_code,
        "cohort": cohort,
        "sent": sent,
        "rows": rows,
        "calibrations": CALIBRATIONS,
        "disclosures": DISCLOSURES,
        "errors": errors or FormErrors(),
    }
    return manager_page(request, "cohorts/settings.html", context, status=422 if errors else 200)


@router.get("/cohorts/{cohort_code}/settings")
async def settings_page(
    request: Request, cohort_code: str, apis: Services = Depends(services)
) -> HTMLResponse:
    cohort = await calls.cohort(apis.programs, cohort_code)
    sent = {
        "seats": str(cohort.seats),
        "application_opens_at": _local(cohort.application_opens_at),
        "application_closes_at": _local(cohort.application_closes_at),
        "bonus_cap": "" if cohort.bonus_cap is None else f"{cohort.bonus_cap:g}",
    }
    rows = rows_from_settings(cohort.review_stages or [], cohort.bonus_items)
    return _page(request, cohort, sent, rows)


@router.post("/cohorts/{cohort_code}/settings")
async def save_settings(
    request: Request, cohort_code: str, apis: Services = Depends(services)
) -> Response:
    cohort = await calls.cohort(apis.programs, cohort_code)
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    sent = {key: form.get(key, "") for key in ("seats", *_WINDOW, "bonus_cap")}
    rows = rows_from_form(form)
    rubrics = rubric_body(rows)
    body = _settings_of(cohort)
    body |= {"seats": sent["seats"], "review_stages": rubrics.review_stages}
    body |= {"bonus_items": rubrics.bonus_items, "bonus_cap": sent["bonus_cap"] or None}
    problems: dict[str, list[str]] = {}
    for key in _WINDOW:
        try:
            body[key] = datetime.fromisoformat(sent[key]).replace(tzinfo=SEOUL).isoformat()
        except ValueError:
            problems[key] = [gettext(request, "Give a date and time.")]
    errors = FormErrors(problems)
    if not problems:
        try:
            await calls.update_cohort(apis.programs, cohort_code, body)
        except ServiceRefusal as refusal:
            errors = _on_this_form(form_errors_of(request, refusal), rubrics)
    if errors:
        return _page(request, cohort, sent, with_blank_rows(rows), errors)
    flash(request, gettext(request, "The cohort's settings are saved."), "success")
    return RedirectResponse(f"/cohorts/{cohort_code}/settings", status_code=303)


def _on_this_form(errors: FormErrors, rubrics: RubricBody) -> FormErrors:
    """The service's reasons at the form's own rows; one about a field the form does not show
    (a setting sent back as it was) goes to the page's message, never lost."""
    fields: dict[str, list[str]] = {}
    elsewhere = [errors.message] if errors.message else []
    for path, messages in errors.fields.items():
        if path.split(".")[0] in _SHOWN:
            fields.setdefault(rubrics.form_field(path), []).extend(messages)
        else:
            elsewhere += [f"{path}: {message}" for message in messages]
    return FormErrors(fields, "; ".join(elsewhere) or None)
