"""HTTP API for staff (OpenAPI at /docs): the staff directory and subscriptions, deliveries with
their attempts, resends, template previews.

Who may do what: admin and ops manage the directory and see every delivery; a program manager
edits their own subscriptions (for the programs their token names) and sees the deliveries about
those programs; every staff member may preview templates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from aihub_notifications.adapters import directory, queries
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.samples import sample_request
from aihub_notifications.domain.staff import EVERY_PROGRAM, MailKind, StaffMember, Subscription
from aihub_notifications.service_layer.resend import DeliveryNotFound, StillPending, resend
from aihub_notifications.settings import Settings
from aihub_shared.contracts.values import Code, Locale, SingleLineText
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Forbidden
from aihub_shared.runtime.http_auth import require_role, staff_principal
from aihub_shared.runtime.service import ServiceRuntime, runtime_of

DeliveryStatus = Literal["pending", "sent", "failed"]
_EMAIL = TypeAdapter(EmailStr)
EmailPath = Annotated[str, Path(max_length=254, description="The staff member's e-mail address.")]


class SubscriptionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: MailKind
    program_code: Code | Literal["*"] = Field(
        default=EVERY_PROGRAM, description="A program code, or `*` for every program."
    )

    @model_validator(mode="after")
    def _alerts_are_for_every_program(self) -> SubscriptionBody:
        # Dead letters belong to no program: a per-program subscription would never match.
        if self.kind is MailKind.DEAD_LETTERS and self.program_code != EVERY_PROGRAM:
            raise ValueError("dead_letters alerts are for every program: use program_code '*'")
        return self


class StaffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SingleLineText
    locale: Locale = "ko"
    role: Role
    active: bool = True


class SubscriptionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscriptions: list[SubscriptionBody] = Field(max_length=200)


class StaffView(BaseModel):
    email: str
    name: str
    locale: Locale
    role: str
    active: bool
    subscriptions: list[SubscriptionBody]

    @classmethod
    def of(cls, member: StaffMember) -> StaffView:
        return cls(
            email=member.email,
            name=member.name,
            locale=member.locale,
            role=member.role,
            active=member.active,
            subscriptions=[
                SubscriptionBody(kind=s.kind, program_code=s.program_code)
                for s in member.subscriptions
            ],
        )


class Preview(BaseModel):
    template: str
    locale: Locale
    subject: str
    text: str
    html: str
    sample_context: dict[str, Any]


class Resent(BaseModel):
    id: uuid.UUID
    resend_of: uuid.UUID


def _email(value: str) -> str:
    try:
        return str(_EMAIL.validate_python(value)).lower()
    except ValidationError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["path", "email"], "msg": "not a valid e-mail address"}],
        ) from exc


def _visible_programs(staff: StaffPrincipal) -> list[str] | None:
    """None: every program (admin, ops); else the programs a manager's token names."""
    if staff.role in (Role.ADMIN, Role.OPS):
        return None
    return sorted(staff.programs)


def build_router(settings: Settings, renderer: MailRenderer) -> APIRouter:
    current_staff = staff_principal(lambda: settings.staff_token_secret)
    directory_admin = require_role(current_staff, Role.OPS)
    delivery_reader = require_role(current_staff, Role.OPS, Role.PROGRAM_MANAGER)
    router = APIRouter(dependencies=[Depends(current_staff)])

    # -- staff directory ------------------------------------------------------------------

    @router.get("/staff", tags=["staff"])
    async def list_staff(
        runtime: ServiceRuntime = Depends(runtime_of),
        _: StaffPrincipal = Depends(directory_admin),
    ) -> list[StaffView]:
        async with runtime.pool.acquire() as conn:
            return [StaffView.of(m) for m in await directory.staff_directory(conn)]

    @router.put("/staff/{email}", tags=["staff"])
    async def put_staff(
        email: EmailPath,
        body: StaffBody,
        response: Response,
        runtime: ServiceRuntime = Depends(runtime_of),
        _: StaffPrincipal = Depends(directory_admin),
    ) -> StaffView:
        address = _email(email)
        async with runtime.pool.acquire() as conn, conn.transaction():
            created = await directory.upsert_staff(
                conn,
                email=address,
                name=body.name,
                locale=body.locale,
                role=body.role.value,
                active=body.active,
            )
            member = await directory.staff_member(conn, address)
        assert member is not None
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return StaffView.of(member)

    @router.delete("/staff/{email}", tags=["staff"], status_code=status.HTTP_204_NO_CONTENT)
    async def delete_staff(
        email: EmailPath,
        runtime: ServiceRuntime = Depends(runtime_of),
        _: StaffPrincipal = Depends(directory_admin),
    ) -> None:
        async with runtime.pool.acquire() as conn:
            if not await directory.delete_staff(conn, _email(email)):
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such staff member")

    @router.get("/staff/{email}/subscriptions", tags=["staff"])
    async def get_subscriptions(
        email: EmailPath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(current_staff),
    ) -> list[SubscriptionBody]:
        address = _email(email)
        if staff.role not in (Role.ADMIN, Role.OPS) and address != staff.id.lower():
            raise Forbidden("you may only read your own subscriptions")
        async with runtime.pool.acquire() as conn:
            member = await directory.staff_member(conn, address)
        if member is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such staff member")
        return StaffView.of(member).subscriptions

    @router.put("/staff/{email}/subscriptions", tags=["staff"])
    async def put_subscriptions(
        email: EmailPath,
        body: SubscriptionsBody,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(current_staff),
    ) -> list[SubscriptionBody]:
        """Admin and ops replace anyone's subscriptions. A program manager replaces their own,
        for the programs their token names (their other rows stay); the first edit adds them
        to the directory."""
        address = _email(email)
        wanted = [Subscription(s.kind, s.program_code) for s in body.subscriptions]
        only: frozenset[str] | None = None
        if staff.role not in (Role.ADMIN, Role.OPS):
            if staff.role is not Role.PROGRAM_MANAGER or address != staff.id.lower():
                raise Forbidden("a program manager may only change their own subscriptions")
            for subscription in wanted:
                if not staff.manages(subscription.program_code):
                    raise Forbidden(
                        f"you do not manage program {subscription.program_code!r}"
                        if subscription.program_code != EVERY_PROGRAM
                        else "only admin and ops may subscribe to every program"
                    )
            only = staff.programs
        async with runtime.pool.acquire() as conn, conn.transaction():
            member = await directory.staff_member(conn, address)
            if member is None:
                if only is None:
                    raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such staff member")
                await directory.upsert_staff(
                    conn,
                    email=address,
                    name=staff.name,
                    locale="ko",
                    role=Role.PROGRAM_MANAGER.value,
                    active=True,
                )
            await directory.replace_subscriptions(conn, address, wanted, only_programs=only)
            member = await directory.staff_member(conn, address)
        assert member is not None
        return StaffView.of(member).subscriptions

    # -- deliveries -----------------------------------------------------------------------

    @router.get("/deliveries", tags=["deliveries"])
    async def list_deliveries(
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(delivery_reader),
        status_: DeliveryStatus | None = Query(default=None, alias="status"),
        template: str | None = Query(default=None, max_length=64),
        recipient: str | None = Query(default=None, max_length=254),
        event_id: str | None = Query(default=None, max_length=128),
        program_code: str | None = Query(default=None, max_length=64),
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0),
    ) -> list[dict[str, Any]]:
        programs = _visible_programs(staff)
        if program_code is not None:
            if programs is not None and program_code not in programs:
                raise Forbidden(f"you do not manage program {program_code!r}")
            programs = [program_code]
        async with runtime.pool.acquire() as conn:
            return await queries.list_deliveries(
                conn,
                status=status_,
                template=template,
                recipient=recipient,
                event_id=event_id,
                program_codes=programs,
                limit=limit,
                offset=offset,
            )

    async def _visible_delivery(
        runtime: ServiceRuntime, staff: StaffPrincipal, delivery_id: uuid.UUID
    ) -> dict[str, Any]:
        async with runtime.pool.acquire() as conn:
            found = await queries.delivery_detail(conn, delivery_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such delivery")
        programs = _visible_programs(staff)
        if programs is not None and found["program_code"] not in programs:
            raise Forbidden("this delivery is not about a program you manage")
        return found

    @router.get("/deliveries/{delivery_id}", tags=["deliveries"])
    async def get_delivery(
        delivery_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(delivery_reader),
    ) -> dict[str, Any]:
        """One delivery with its content and every SMTP attempt (`attempt_log`)."""
        return await _visible_delivery(runtime, staff, delivery_id)

    @router.post(
        "/deliveries/{delivery_id}/resend",
        tags=["deliveries"],
        status_code=status.HTTP_201_CREATED,
    )
    async def resend_delivery(
        delivery_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(delivery_reader),
    ) -> Resent:
        """Send a sent or failed mail again, as a new delivery (new Message-ID) that records
        the original and who asked."""
        await _visible_delivery(runtime, staff, delivery_id)
        try:
            new_id = await resend(runtime.pool, delivery_id, requested_by=staff.id)
        except DeliveryNotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such delivery") from exc
        except StillPending as exc:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail="the delivery is still pending; the sender will send it",
            ) from exc
        return Resent(id=new_id, resend_of=delivery_id)

    # -- templates ------------------------------------------------------------------------

    @router.get("/templates", tags=["templates"])
    async def list_templates() -> dict[str, list[str]]:
        """Template name → the languages it is written in."""
        return {name: sorted(locales) for name, locales in sorted(renderer.templates().items())}

    @router.get("/templates/{template}/preview", tags=["templates"])
    async def preview_template(
        template: Annotated[str, Path(max_length=64, pattern=r"^[a-z_]+$")],
        locale: Locale = Query(default="ko"),
    ) -> Preview:
        """The template rendered with sample data (the same the golden-file tests use)."""
        if template not in renderer.templates():
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such template")
        request = sample_request(template, locale)
        mail = renderer.render(template, locale, request.context)
        return Preview(
            template=template,
            locale=mail.locale,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            sample_context={k: _plain(v) for k, v in request.context.items()},
        )

    return router


def _plain(value: Any) -> Any:
    """JSON-friendly sample values (dates as ISO text)."""
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return value.isoformat()
    return value
