"""Operators' pages: `/ops/health`, `/ops/dead-letters` (list by topic, one with its reason,
replay), `/ops/outbox` (rows set aside, retry or drop). Every answer comes from the three
services' ops routes, as the signed-in person; the services decide who may (ops and admin)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters.service_api import ServiceApi, ServiceRefusal
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import N_, gettext
from aihub_console.entrypoints.pages import flash, form_errors_of, render
from aihub_console.service_layer import operations

router = APIRouter(prefix="/ops", include_in_schema=False)

DLQ_TOPIC = r"^[a-z0-9.-]+\.dlq$"
Topic = Annotated[str, Path(pattern=DLQ_TOPIC, max_length=200)]
Partition = Annotated[int, Path(ge=0, le=10_000)]
Offset = Annotated[int, Path(ge=0, le=2**62)]
ServiceName = Literal["applications", "programs", "notifications"]

#: The words the services answer with that the pages show translated (`_(word)`).
SERVICE_WORDS = (
    N_("applied"),
    N_("already-applied"),
    N_("ignored"),
    N_("failed"),
    N_("pending"),
    N_("sent"),
    N_("retry"),
    N_("interrupted"),
)


def apis_of(apis: Services) -> dict[str, ServiceApi]:
    return {
        "applications": apis.applications,
        "programs": apis.programs,
        "notifications": apis.notifications,
    }


@router.get("/health")
async def health(request: Request, apis: Services = Depends(services)) -> HTMLResponse:
    found = await operations.health(apis_of(apis))
    return render(request, "ops/health.html", {"services": found})


@router.get("/dead-letters")
async def dead_letters(
    request: Request,
    topic: Annotated[str | None, Query(pattern=DLQ_TOPIC, max_length=200)] = None,
    apis: Services = Depends(services),
) -> HTMLResponse:
    overview = await operations.dead_letters(apis_of(apis), topic)
    return render(request, "ops/dead_letters.html", {"overview": overview, "topic": topic})


@router.post("/dead-letters/replay")
async def replay_many(
    request: Request,
    positions: Annotated[list[str] | None, Form(max_length=240)] = None,
    queue: Annotated[str, Form(max_length=100_000)] = "",
    total: Annotated[int, Form(ge=0, le=1000)] = 0,
    confirm: Annotated[str | None, Form()] = None,
    apis: Services = Depends(services),
) -> Response:
    """The chosen dead letters, replayed one after the other. With htmx each request replays
    one and answers its result, the progress, and an element that asks for the next one
    (`queue`): the page shows progress as it goes. Without, all in this request, then back to
    the list with a summary."""
    wanted = [p for p in (positions or queue.split()) if p]
    parsed = [operations.Position.parse(p) for p in wanted]
    chosen = [p for p in parsed if p is not None]
    htmx = bool(request.headers.get("HX-Request"))
    problem = None
    if confirm != "yes":
        problem = gettext(request, "Tick the box to confirm the replay.")
    elif not chosen or len(chosen) != len(parsed):
        problem = gettext(request, "Choose at least one row.")
    if problem is not None:
        if htmx:
            return render(request, "ops/_batch_step.html", {"problem": problem}, status=422)
        flash(request, problem, "error")
        return RedirectResponse("/ops/dead-letters", status_code=303)
    total = total or len(chosen)
    if htmx:
        step = await operations.replay_step(apis_of(apis), chosen[0])
        context = {
            "step": step,
            "problem": None,
            "queue": " ".join(str(p) for p in chosen[1:]),
            "done": total - len(chosen) + 1,
            "total": total,
        }
        return render(request, "ops/_batch_step.html", context)
    steps = [await operations.replay_step(apis_of(apis), p) for p in chosen]
    failed = [s for s in steps if s.problem]
    summary = gettext(request, "Replayed %(done)d of %(total)d.") % {
        "done": len(steps) - len(failed),
        "total": len(steps),
    }
    flash(request, summary, "error" if failed else "success")
    for step in failed:
        flash(request, f"{step.position}: {step.problem}", "error")
    return RedirectResponse("/ops/dead-letters", status_code=303)


@router.get("/dead-letters/{topic}/{partition}/{offset}")
async def dead_letter(
    request: Request,
    topic: Topic,
    partition: Partition,
    offset: Offset,
    apis: Services = Depends(services),
) -> HTMLResponse:
    service, letter = await operations.dead_letter(apis_of(apis), topic, partition, offset)
    return render(request, "ops/dead_letter.html", {"service": service, "letter": letter})


@router.post("/dead-letters/{topic}/{partition}/{offset}/replay")
async def replay(
    request: Request,
    topic: Topic,
    partition: Partition,
    offset: Offset,
    confirm: Annotated[str | None, Form()] = None,
    apis: Services = Depends(services),
) -> Response:
    """With htmx, the result replaces the replay form (the button shows progress meanwhile);
    without, back to the dead letter with the result as a message."""
    here = f"/ops/dead-letters/{topic}/{partition}/{offset}"
    htmx = bool(request.headers.get("HX-Request"))
    if confirm != "yes":
        message = gettext(request, "Tick the box to confirm the replay.")
        if htmx:
            return render(request, "ops/_replay_result.html", {"problem": message}, status=422)
        flash(request, message, "error")
        return RedirectResponse(here, status_code=303)
    try:
        service, done = await operations.replay(apis_of(apis), topic, partition, offset)
    except ServiceRefusal as refusal:
        problem = form_errors_of(request, refusal).message
        if htmx:
            return render(
                request, "ops/_replay_result.html", {"problem": problem}, status=refusal.status
            )
        flash(request, problem or "", "error")
        return RedirectResponse(here, status_code=303)
    context = {"service": service, "replay": done, "problem": None}
    if htmx:
        return render(request, "ops/_replay_result.html", context)
    flash(request, gettext(request, "Replayed: %(outcome)s") % {"outcome": done.outcome}, "success")
    return RedirectResponse(here, status_code=303)


@router.get("/outbox")
async def outbox(request: Request, apis: Services = Depends(services)) -> HTMLResponse:
    found = await operations.set_aside(apis_of(apis))
    return render(request, "ops/outbox.html", {"found": found})


@router.post("/outbox/{service}/{action}")
async def settle_outbox(
    request: Request,
    service: ServiceName,
    action: Literal["retry", "drop"],
    ids: Annotated[list[int] | None, Form()] = None,
    confirm: Annotated[str | None, Form()] = None,
    apis: Services = Depends(services),
) -> Response:
    """Retry hands rows back to the relay; drop (confirmed) deletes them for good."""
    if not ids:
        flash(request, gettext(request, "Choose at least one row."), "error")
    elif action == "drop" and confirm != "yes":
        flash(request, gettext(request, "Tick the box to confirm dropping the events."), "error")
    else:
        settled = await operations.settle(apis_of(apis), service, action, ids)
        message = (
            gettext(request, "Handed back to the relay: %(ids)s")
            if action == "retry"
            else gettext(request, "Dropped: %(ids)s")
        )
        none = gettext(request, "none (no longer set aside)")
        flash(request, message % {"ids": ", ".join(map(str, settled)) or none}, "success")
    return RedirectResponse("/ops/outbox", status_code=303)
