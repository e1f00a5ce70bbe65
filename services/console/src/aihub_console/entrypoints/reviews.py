"""Reviewer pages: `/reviews` (my reviews: pending and done, per cohort and stage, due dates in
Seoul time) and `/reviews/{application_id}` (the answers, the stage's rubric form with the
weighted result shown live, saving and correcting until the stage closes, a conflict of
interest; a stage that requires the reviewer pledge shows it, to accept, before the form).
Every rule is the applications service's: this module asks and shows its answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters.applications_api import ReviewSheet
from aihub_console.adapters.rule_calls import Pledge
from aihub_console.adapters.rule_calls import pledge as pledge_of
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import gettext
from aihub_console.entrypoints.pages import flash, form_errors_of, render
from aihub_console.service_layer.reviews import grouped, shown_assignment

router = APIRouter(prefix="/reviews", include_in_schema=False)

#: Form fields of the rubric: `scores.<criterion code>`, as the service locates its problems.
SCORE_FIELD = "scores."


@router.get("")
async def my_reviews(request: Request, apis: Services = Depends(services)) -> HTMLResponse:
    reviews = await apis.applications.my_reviews()
    return render(request, "reviews/list.html", {"groups": grouped(reviews)})


@router.get("/{application_id}")
async def review_page(
    request: Request,
    application_id: str,
    stage: str | None = None,
    apis: Services = Depends(services),
) -> HTMLResponse:
    sheet = await _sheet(apis, application_id, stage)
    return _sheet_page(request, sheet, pledge=await _pending_pledge(apis, sheet))


@router.post("/{application_id}/preview")
async def preview(
    request: Request, application_id: str, apis: Services = Depends(services)
) -> HTMLResponse:
    """htmx: the weighted result of the scores typed so far, by the service's rule."""
    form = await request.form()
    stage = str(form.get("stage", ""))
    scores = _typed_scores(form)
    context: dict[str, Any] = {"score": None, "errors": FormErrors(), "incomplete": False}
    if not scores or any(value == "" for value in scores.values()):
        context["incomplete"] = True
    else:
        try:
            answer = await apis.applications.preview_scores(application_id, stage, scores)
            context["score"] = answer.review_score
        except ServiceRefusal as refusal:
            context["errors"] = form_errors_of(request, refusal)
    return render(request, "reviews/_weighted.html", context)


@router.post("/{application_id}/scores")
async def save_scores(
    request: Request,
    application_id: str,
    stage: str = Form(),
    comment: str = Form(default=""),
    apis: Services = Depends(services),
) -> Response:
    form = await request.form()
    scores = _typed_scores(form)
    try:
        saved = await apis.applications.save_scores(application_id, stage, scores, comment)
    except ServiceRefusal as refusal:
        typed = {"scores": scores, "comment": comment}
        return await _refused(request, apis, application_id, stage, refusal, typed)
    message = gettext(request, "Scores saved. Your weighted score: %(score)s")
    flash(request, message % {"score": f"{saved.review_score:.2f}"}, "success")
    return RedirectResponse(f"/reviews/{application_id}?stage={stage}", status_code=303)


@router.post("/{application_id}/conflict")
async def declare_conflict(
    request: Request,
    application_id: str,
    stage: str = Form(),
    reason: str = Form(default=""),
    apis: Services = Depends(services),
) -> Response:
    try:
        await apis.applications.declare_conflict(application_id, stage, reason)
    except ServiceRefusal as refusal:
        return await _refused(request, apis, application_id, stage, refusal, {"reason": reason})
    flash(request, gettext(request, "Your conflict of interest is recorded."), "success")
    return RedirectResponse(f"/reviews/{application_id}?stage={stage}", status_code=303)


async def _sheet(apis: Services, application_id: str, stage: str | None) -> ReviewSheet:
    """The sheet of the stage asked for, else of the assignment the page shows; the service's
    404/403 when the person has none for this application."""
    if stage is None:
        shown = shown_assignment(await apis.applications.my_reviews(application_id), None)
        if shown is None:
            raise ServiceRefusal("applications", 404, None)
        stage = shown.stage_code
    return await apis.applications.review_sheet(application_id, stage)


async def _refused(
    request: Request,
    apis: Services,
    application_id: str,
    stage: str,
    refusal: ServiceRefusal,
    typed: dict[str, Any],
) -> HTMLResponse:
    """The page again, with what the person typed and the service's reasons at the fields."""
    sheet = await _sheet(apis, application_id, stage)
    errors = form_errors_of(request, refusal)
    pledge = await _pending_pledge(apis, sheet)
    return _sheet_page(request, sheet, errors, typed, status=refusal.status, pledge=pledge)


async def _pending_pledge(apis: Services, sheet: ReviewSheet) -> Pledge | None:
    """The pledge to accept before scoring, when the stage requires one not yet accepted."""
    if not (sheet.pledge_pending and sheet.review.stage_open):
        return None
    return await pledge_of(apis.applications, sheet.review.cohort_code, sheet.review.stage_code)


def _sheet_page(
    request: Request,
    sheet: ReviewSheet,
    errors: FormErrors | None = None,
    typed: dict[str, Any] | None = None,
    *,
    status: int = 200,
    pledge: Pledge | None = None,
) -> HTMLResponse:
    context = {"sheet": sheet, "errors": errors or FormErrors(), "typed": typed or {}}
    return render(request, "reviews/detail.html", {**context, "pledge": pledge}, status=status)


def _typed_scores(form: Any) -> dict[str, str]:
    """The rubric's values as typed: the service judges each (a whole number 0–100)."""
    return {
        str(key).removeprefix(SCORE_FIELD): str(value).strip()
        for key, value in form.multi_items()
        if str(key).startswith(SCORE_FIELD)
    }
