"""The notifications service's HTTP API as the console calls it. Each page group adds the calls (and
the models of their documented answers) it needs as separate methods, so additions merge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel

from aihub_console.adapters.service_api import ServiceApi

# ===== ops: deliveries and the staff directory (console-ops) =====


class DeliverySummary(BaseModel):
    id: uuid.UUID
    event_id: str
    event_type: str
    correlation_id: str | None
    template: str
    locale: str
    recipient: str
    subject: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    failed_at: datetime | None
    created_at: datetime
    program_code: str | None
    message_id: str
    resend_of: uuid.UUID | None
    requested_by: str | None


class DeliveryAttempt(BaseModel):
    started_at: datetime
    finished_at: datetime | None
    outcome: Literal["sent", "retry", "failed", "interrupted"] | None
    error: str | None


class DeliveryDetail(DeliverySummary):
    recipient_name: str
    body_text: str
    body_html: str
    attempt_log: list[DeliveryAttempt]


class Resent(BaseModel):
    id: uuid.UUID
    resend_of: uuid.UUID


#: What a staff member can subscribe to (notifications' `MailKind`, as its OpenAPI lists it).
MAIL_KINDS = (
    "new_application",
    "ineligible",
    "decision",
    "enrollment",
    "cohort_filled",
    "dead_letters",
    "daily_digest",
    "appeal",
)


class Subscription(BaseModel):
    kind: str
    program_code: str


class StaffMember(BaseModel):
    email: str
    name: str
    locale: str
    role: str
    active: bool
    subscriptions: list[Subscription]


@dataclass(frozen=True)
class StaffChange:
    """`PUT /staff/{email}`'s body: a member added or changed."""

    name: str
    locale: str
    role: str
    active: bool


@dataclass(frozen=True)
class DeliveryFilter:
    """`GET /deliveries`'s filters; empty ones are not sent."""

    status: str | None = None
    template: str | None = None
    recipient: str | None = None
    program_code: str | None = None
    limit: int = 50
    offset: int = 0

    def params(self) -> dict[str, str | int]:
        given = {k: v for k, v in vars(self).items() if v not in (None, "")}
        return given


class NotificationsApi(ServiceApi):
    """Calls of the notifications service, as the signed-in person."""

    # ----- ops: deliveries and the staff directory (console-ops) -----

    async def deliveries(self, wanted: DeliveryFilter) -> list[DeliverySummary]:
        return await self.call("GET", "/deliveries", list[DeliverySummary], params=wanted.params())

    async def delivery(self, delivery_id: uuid.UUID) -> DeliveryDetail:
        return await self.call("GET", f"/deliveries/{delivery_id}", DeliveryDetail)

    async def resend(self, delivery_id: uuid.UUID) -> Resent:
        return await self.call("POST", f"/deliveries/{delivery_id}/resend", Resent)

    async def staff(self) -> list[StaffMember]:
        return await self.call("GET", "/staff", list[StaffMember])

    async def put_staff(self, email: str, member: StaffChange) -> StaffMember:
        path = f"/staff/{quote(email, safe='@')}"
        return await self.call("PUT", path, StaffMember, json=vars(member))

    async def put_subscriptions(
        self, email: str, subscriptions: list[Subscription]
    ) -> list[Subscription]:
        path = f"/staff/{quote(email, safe='@')}/subscriptions"
        body = {"subscriptions": [s.model_dump() for s in subscriptions]}
        return await self.call("PUT", path, list[Subscription], json=body)

    async def mail_templates(self) -> list[str]:
        found: dict[str, list[str]] = await self.call("GET", "/templates", dict[str, list[str]])
        return sorted(found)
