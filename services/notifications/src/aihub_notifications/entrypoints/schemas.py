"""What the HTTP API reads and answers: request bodies, path parameters and views."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from aihub_notifications.domain.staff import EVERY_PROGRAM, MailKind, StaffMember, Subscription
from aihub_notifications.service_layer.previews import TemplatePreview
from aihub_shared.contracts.values import Code, Locale, SingleLineText
from aihub_shared.identity import Role

DeliveryStatus = Literal["pending", "sent", "failed"]
_EMAIL = TypeAdapter(EmailStr)


def _email_address(value: str) -> str:
    """The address, lower-cased: the directory knows each member by it."""
    try:
        return str(_EMAIL.validate_python(value)).lower()
    except ValidationError as exc:
        raise PydanticCustomError("value_error", "not a valid e-mail address") from exc


EmailPath = Annotated[
    str,
    Path(
        max_length=254,
        description="The staff member's e-mail address.",
        json_schema_extra={"format": "email"},
    ),
    AfterValidator(_email_address),
]


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

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionBody:
        return cls(kind=subscription.kind, program_code=subscription.program_code)

    @classmethod
    def all_of(cls, subscriptions: tuple[Subscription, ...]) -> list[SubscriptionBody]:
        return [cls.of(s) for s in subscriptions]


class StaffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SingleLineText
    locale: Locale = "ko"
    role: Role
    active: StrictBool = True  # the schema says boolean: 0 or "no" must not pass as false


class SubscriptionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscriptions: list[SubscriptionBody] = Field(max_length=200)

    def wanted(self) -> list[Subscription]:
        return [Subscription(s.kind, s.program_code) for s in self.subscriptions]


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
            subscriptions=SubscriptionBody.all_of(member.subscriptions),
        )


class Preview(BaseModel):
    template: str
    locale: Locale
    subject: str
    text: str
    html: str
    sample_context: dict[str, Any]

    @classmethod
    def of(cls, preview: TemplatePreview) -> Preview:
        mail = preview.mail
        return cls(
            template=mail.template,
            locale=mail.locale,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            sample_context=preview.sample_context,
        )


class Resent(BaseModel):
    id: uuid.UUID
    resend_of: uuid.UUID


class DeliverySummary(BaseModel):
    """One e-mail: to whom, which template, where it stands."""

    id: uuid.UUID
    event_id: str = Field(description="The event that caused it.")
    event_type: str
    correlation_id: str | None
    template: str
    locale: Locale
    recipient: str
    subject: str
    status: DeliveryStatus
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
    covered_event_ids: list[str] = Field(
        description="A grouped staff mail: every event it tells of, in order (the first is"
        " `event_id`); empty for a mail caused by one event."
    )


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
