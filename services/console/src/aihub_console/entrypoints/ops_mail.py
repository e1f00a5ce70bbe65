"""Operators' mail pages: `/ops/deliveries` (filter, page through), `/ops/deliveries/{id}` (its
content and every SMTP attempt, resend) and `/ops/staff` (the directory and subscriptions: add or
change a member, keep or add subscriptions), all
from the notifications service as the signed-in person (admin and ops; a program manager sees
the deliveries of their programs, as notifications decides)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aihub_console.adapters.notifications_api import (
    MAIL_KINDS,
    DeliveryFilter,
    StaffChange,
    Subscription,
)
from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import N_, gettext
from aihub_console.entrypoints.pages import flash, form_errors_of, render

router = APIRouter(prefix="/ops", include_in_schema=False)

PAGE_SIZE = 50
#: The staff directory's roles (notifications' codes) as the page names them, msgids of the
#: catalogs: an operator reads 운영, not `ops`. The form offers them in this order.
ROLE_LABELS = {
    "ops": N_("Operations"),
    "program_manager": N_("Program manager"),
    "reviewer": N_("Reviewer"),
    "admin": N_("Administrator"),
}
FilterText = Annotated[str | None, Query(max_length=254, pattern=r"^[^\x00]*$")]


@router.get("/deliveries")
async def deliveries(
    request: Request,
    status: Literal["", "pending", "sent", "failed"] = "",
    template: FilterText = None,
    recipient: FilterText = None,
    program_code: FilterText = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    apis: Services = Depends(services),
) -> HTMLResponse:
    wanted = DeliveryFilter(
        status=status or None,
        template=template or None,
        recipient=(recipient or "").strip() or None,
        program_code=(program_code or "").strip() or None,
        # One more than a page: whether there is a next one.
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    found = await apis.notifications.deliveries(wanted)
    context = {
        "rows": found[:PAGE_SIZE],
        "wanted": wanted,
        "page": page,
        "has_next": len(found) > PAGE_SIZE,
        "templates": await apis.notifications.mail_templates(),
        "query": {k: v for k, v in wanted.params().items() if k not in ("limit", "offset")},
    }
    return render(request, "ops/deliveries.html", context)


@router.get("/deliveries/{delivery_id}")
async def delivery(
    request: Request, delivery_id: uuid.UUID, apis: Services = Depends(services)
) -> HTMLResponse:
    found = await apis.notifications.delivery(delivery_id)
    return render(request, "ops/delivery.html", {"delivery": found})


@router.post("/deliveries/{delivery_id}/resend")
async def resend(
    request: Request, delivery_id: uuid.UUID, apis: Services = Depends(services)
) -> RedirectResponse:
    """A new delivery of the same mail (new Message-ID), shown next; a refusal (409: the
    original is still pending) back on the delivery with the service's reason."""
    try:
        resent = await apis.notifications.resend(delivery_id)
    except ServiceRefusal as refusal:
        flash(request, form_errors_of(request, refusal).message or "", "error")
        return RedirectResponse(f"/ops/deliveries/{delivery_id}", status_code=303)
    flash(request, gettext(request, "Sent again as a new delivery."), "success")
    return RedirectResponse(f"/ops/deliveries/{resent.id}", status_code=303)


@router.get("/staff")
async def staff(request: Request, apis: Services = Depends(services)) -> HTMLResponse:
    return await _staff_page(request, apis)


async def _staff_page(
    request: Request, apis: Services, errors: FormErrors | None = None, status: int = 200
) -> HTMLResponse:
    context = {
        "members": await apis.notifications.staff(),
        "kinds": MAIL_KINDS,
        "role_labels": ROLE_LABELS,
        "errors": errors or FormErrors(),
        "entered": dict(await request.form()) if request.method == "POST" else {},
    }
    return render(request, "ops/staff.html", context, status=status)


@router.post("/staff")
async def put_staff(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    name: Annotated[str, Form(max_length=200)],
    locale: Annotated[Literal["ko", "en"], Form()],
    role: Annotated[str, Form(max_length=32)],
    active: Annotated[str | None, Form()] = None,
    apis: Services = Depends(services),
) -> Response:
    """Add or change a member; the service's reasons at their fields."""
    change = StaffChange(name=name, locale=locale, role=role, active=active == "yes")
    try:
        await apis.notifications.put_staff(email.strip(), change)
    except ServiceRefusal as refusal:
        return await _staff_page(request, apis, form_errors_of(request, refusal), refusal.status)
    flash(request, gettext(request, "Saved %(email)s.") % {"email": email.strip()}, "success")
    return RedirectResponse("/ops/staff", status_code=303)


@router.post("/staff/{email}/subscriptions")
async def put_subscriptions(
    request: Request,
    email: Annotated[str, Path(max_length=254)],
    keep: Annotated[list[str] | None, Form()] = None,
    add_kind: Annotated[str, Form(max_length=32)] = "",
    add_program: Annotated[str, Form(max_length=64)] = "*",
    apis: Services = Depends(services),
) -> Response:
    """The member's subscriptions become the ones kept plus the one added (`kind|program`)."""
    wanted = [
        Subscription(kind=k, program_code=p) for k, _, p in (v.partition("|") for v in keep or [])
    ]
    if add_kind:
        wanted.append(Subscription(kind=add_kind, program_code=add_program.strip() or "*"))
    try:
        await apis.notifications.put_subscriptions(email, wanted)
    except ServiceRefusal as refusal:
        flash(request, "; ".join(_reasons(form_errors_of(request, refusal))), "error")
    else:
        flash(request, gettext(request, "Saved %(email)s.") % {"email": email}, "success")
    return RedirectResponse("/ops/staff", status_code=303)


def _reasons(errors: FormErrors) -> list[str]:
    found = [errors.message] if errors.message else []
    return found + [f"{field}: {'; '.join(msgs)}" for field, msgs in errors.fields.items()]
