"""Appeals (이의제기) in the console: a manager files an applicant's appeal of a stage's
rejection from the application's page (with or without the applicant's request to be told the
stage's figures), and decides open ones — uphold (back in review) or dismiss, with a reason —
there or from the cohort's list (`/cohorts/{code}/appeals`), where what the applicant is told
(the disclosure, per the cohort's setting) is shown beside each. The applications service
decides everything: the window, what may be appealed, what is disclosed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters import appeal_calls as calls
from aihub_console.adapters import manager_calls
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors
from aihub_console.domain.rule_forms import form_field, prefixed
from aihub_console.entrypoints.cohorts import application_page
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import gettext
from aihub_console.entrypoints.manager_labels import manager_page
from aihub_console.entrypoints.pages import flash, form_errors_of
from aihub_console.entrypoints.selection_rules import OUTCOME, typed_form
from aihub_console.service_layer.cohort_overview import stage_names

router = APIRouter(include_in_schema=False)


@router.post("/applications/{application_id}/appeals")
async def file_appeal(
    request: Request, application_id: str, apis: Services = Depends(services)
) -> Response:
    typed = await typed_form(request)
    try:
        await calls.file_appeal(
            apis.applications,
            application_id,
            form_field(typed, "appeal", "reason"),
            disclose=form_field(typed, "appeal", "disclose") == "true",
        )
    except ServiceRefusal as refusal:
        errors = prefixed(form_errors_of(request, refusal), "appeal")
        return await application_page(
            request, apis, application_id, errors=errors, typed=typed, status=refusal.status
        )
    flash(request, gettext(request, "Appeal filed: decide it with a reason."), "success")
    return RedirectResponse(f"/applications/{application_id}#appeals", status_code=303)


@router.post("/applications/{application_id}/appeals/{appeal_id}/decision")
async def decide_from_application(
    request: Request,
    application_id: str,
    appeal_id: str,
    apis: Services = Depends(services),
    outcome: str = Form(pattern=OUTCOME),
) -> Response:
    typed = await typed_form(request)
    refused = await _decide(request, apis, appeal_id, outcome, typed)
    if refused is not None:
        return await application_page(
            request, apis, application_id, errors=refused[0], typed=typed, status=refused[1]
        )
    return RedirectResponse(f"/applications/{application_id}#appeals", status_code=303)


@router.get("/cohorts/{cohort_code}/appeals")
async def cohort_appeals(
    request: Request, cohort_code: str, apis: Services = Depends(services)
) -> HTMLResponse:
    return await _appeals_page(request, apis, cohort_code)


@router.post("/cohorts/{cohort_code}/appeals/{appeal_id}/decision")
async def decide_from_cohort(
    request: Request,
    cohort_code: str,
    appeal_id: str,
    apis: Services = Depends(services),
    outcome: str = Form(pattern=OUTCOME),
) -> Response:
    typed = await typed_form(request)
    refused = await _decide(request, apis, appeal_id, outcome, typed)
    if refused is not None:
        return await _appeals_page(
            request, apis, cohort_code, errors=refused[0], typed=typed, status=refused[1]
        )
    return RedirectResponse(f"/cohorts/{cohort_code}/appeals", status_code=303)


async def _decide(
    request: Request, apis: Services, appeal_id: str, outcome: str, typed: dict[str, str]
) -> tuple[FormErrors, int] | None:
    """Decide an appeal; its refusal (at the decision form's fields) and status, if any."""
    prefix = f"appeal-{appeal_id}"
    try:
        decided = await calls.decide_appeal(
            apis.applications, appeal_id, outcome, form_field(typed, prefix, "reason")
        )
    except ServiceRefusal as refusal:
        return prefixed(form_errors_of(request, refusal), prefix), refusal.status
    if decided.status == "upheld":
        message = gettext(request, "Appeal upheld: the application is in review again.")
    else:
        message = gettext(request, "Appeal dismissed: the rejection stands.")
    flash(request, message, "success")
    return None


async def _appeals_page(
    request: Request,
    apis: Services,
    code: str,
    *,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = await calls.cohort_appeals(apis.applications, code)
    pipeline = await manager_calls.pipeline(apis.applications, code)
    context = {
        "code": code,
        "open": [a for a in found if a.status == "open"],
        "decided": [a for a in found if a.status != "open"],
        "stage_names": stage_names(pipeline),
        "errors": errors or FormErrors(),
        "typed": typed or {},
    }
    return manager_page(request, "cohorts/appeals.html", context, status=status)
