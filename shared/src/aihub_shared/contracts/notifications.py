"""Events of the notifications service on `notifications.deliveries`, keyed by delivery id."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aihub_shared.contracts.applications import ReviewerRef
from aihub_shared.contracts.values import Code


class EmailDelivered(BaseModel):
    """`email.sent`: one e-mail left for one recipient. The address is masked on purpose."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    delivery_id: str
    caused_by_event_id: str
    template: str = Field(max_length=64)
    recipient_masked: str = Field(max_length=254)
    message_id: str = Field(max_length=300)


class EmailFailed(BaseModel):
    """`email.failed`: the mail server refused an e-mail for good; it will not be retried."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    delivery_id: str
    caused_by_event_id: str
    template: str = Field(max_length=64)
    recipient_masked: str = Field(max_length=254)
    reason: str = Field(max_length=1000)
    attempts: int = Field(ge=1)


class ReminderSent(BaseModel):
    """`reminder.sent`: a reviewer was reminded, once, that an assignment is still unscored
    `offset_hours` before it is due. The mail itself is the delivery `delivery_id`, whose
    `email.sent` (or `email.failed`) names this event as its cause."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    delivery_id: str
    application_id: str
    program_code: Code
    cohort_code: Code
    stage_code: Code
    reviewer: ReviewerRef
    due_at: AwareDatetime
    offset_hours: float = Field(gt=0, description="How long before `due_at` the reminder was due.")
