"""Pages and forms of the selection rules (issue 14) that staff act on: the reviewer pledge
(평가위원 서약) accepted from the scoring page, challenges of reviewers (기피 신청) filed and
decided from the manager's application page or the cohort's list (`/cohorts/{code}/challenges`),
bonus points (가점) granted and taken back with a reason. The applications service decides
everything; a refusal comes back at the field of the form that was sent."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters import rule_calls as calls
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors
from aihub_console.domain.rule_forms import form_field, prefixed
from aihub_console.entrypoints.cohorts import application_page
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import gettext
from aihub_console.entrypoints.manager_labels import manager_page
from aihub_console.entrypoints.pages import flash, form_errors_of

router = APIRouter(include_in_schema=False)

OUTCOME = "^(upheld|dismissed)$"


@router.post("/reviews/{application_id}/pledge")
async def accept_pledge(
    request: Request,
    application_id: str,
    apis: Services = Depends(services),
    cohort: str = Form(max_length=64),
    stage: str = Form(max_length=64),
) -> Response:
    try:
        await calls.accept_pledge(apis.applications, cohort, stage)
    except ServiceRefusal as refusal:
        flash(request, form_errors_of(request, refusal).message or "", "error")
    else:
        flash(request, gettext(request, "Pledge accepted: you may score now."), "success")
    return RedirectResponse(f"/reviews/{application_id}?stage={stage}", status_code=303)


@router.post("/applications/{application_id}/challenges")
async def file_challenge(
    request: Request, application_id: str, apis: Services = Depends(services)
) -> Response:
    typed = await typed_form(request)
    try:
        await calls.file_challenge(
            apis.applications,
            application_id,
            typed.get("stage", ""),
            form_field(typed, "challenge", "reviewer_id"),
            form_field(typed, "challenge", "reason"),
        )
    except ServiceRefusal as refusal:
        errors = prefixed(form_errors_of(request, refusal), "challenge")
        return await application_page(
            request, apis, application_id, errors=errors, typed=typed, status=refusal.status
        )
    flash(
        request,
        gettext(request, "Challenge filed: the reviewer's scores do not count while it is open."),
        "success",
    )
    return RedirectResponse(f"/applications/{application_id}#challenges", status_code=303)


@router.post("/applications/{application_id}/challenges/{challenge_id}/decision")
async def decide_from_application(
    request: Request,
    application_id: str,
    challenge_id: str,
    apis: Services = Depends(services),
    outcome: str = Form(pattern=OUTCOME),
) -> Response:
    typed = await typed_form(request)
    refused = await _decide(request, apis, challenge_id, outcome, typed)
    if refused is not None:
        return await application_page(
            request, apis, application_id, errors=refused[0], typed=typed, status=refused[1]
        )
    return RedirectResponse(f"/applications/{application_id}#challenges", status_code=303)


@router.get("/cohorts/{cohort_code}/challenges")
async def cohort_challenges(
    request: Request, cohort_code: str, apis: Services = Depends(services)
) -> HTMLResponse:
    return await _challenges_page(request, apis, cohort_code)


@router.post("/cohorts/{cohort_code}/challenges/{challenge_id}/decision")
async def decide_from_cohort(
    request: Request,
    cohort_code: str,
    challenge_id: str,
    apis: Services = Depends(services),
    outcome: str = Form(pattern=OUTCOME),
) -> Response:
    typed = await typed_form(request)
    refused = await _decide(request, apis, challenge_id, outcome, typed)
    if refused is not None:
        return await _challenges_page(
            request, apis, cohort_code, errors=refused[0], typed=typed, status=refused[1]
        )
    return RedirectResponse(f"/cohorts/{cohort_code}/challenges", status_code=303)


@router.post("/applications/{application_id}/bonus-points/{item_code}")
async def change_bonus(
    request: Request,
    application_id: str,
    item_code: str,
    apis: Services = Depends(services),
    action: str = Form(pattern="^(grant|revoke)$"),
) -> Response:
    typed = await typed_form(request)
    prefix = f"bonus-{item_code}"
    reason = form_field(typed, prefix, "reason")
    grant = action == "grant"
    try:
        await calls.change_bonus(apis.applications, application_id, item_code, reason, grant=grant)
    except ServiceRefusal as refusal:
        errors = prefixed(form_errors_of(request, refusal), prefix)
        return await application_page(
            request, apis, application_id, errors=errors, typed=typed, status=refusal.status
        )
    if grant:
        flash(request, gettext(request, "Bonus item granted."), "success")
    else:
        flash(request, gettext(request, "Bonus item taken back."), "success")
    return RedirectResponse(f"/applications/{application_id}#bonus", status_code=303)


async def _decide(
    request: Request, apis: Services, challenge_id: str, outcome: str, typed: dict[str, str]
) -> tuple[FormErrors, int] | None:
    """Decide a challenge; its refusal (at the decision form's fields) and status, if any."""
    prefix = f"decide-{challenge_id}"
    try:
        decided = await calls.decide_challenge(
            apis.applications, challenge_id, outcome, form_field(typed, prefix, "reason")
        )
    except ServiceRefusal as refusal:
        return prefixed(form_errors_of(request, refusal), prefix), refusal.status
    if decided.status == "upheld":
        message = gettext(request, "Challenge upheld: the reviewer is replaced (%(by)s).") % {
            "by": decided.replacement or gettext(request, "nobody left in the pool")
        }
    else:
        message = gettext(request, "Challenge dismissed: the reviewer's scores count again.")
    flash(request, message, "success")
    return None


async def _challenges_page(
    request: Request,
    apis: Services,
    code: str,
    *,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = await calls.challenges(apis.applications, code)
    context = {
        "code": code,
        "open": [c for c in found if c.status == "open"],
        "decided": [c for c in found if c.status != "open"],
        "errors": errors or FormErrors(),
        "typed": typed or {},
    }
    return manager_page(request, "cohorts/challenges.html", context, status=status)


async def typed_form(request: Request) -> dict[str, str]:
    """A form's fields as typed (the CSRF token left out), for the page shown again."""
    form = await request.form()
    return {key: str(value) for key, value in form.items() if key != "csrf_token"}
