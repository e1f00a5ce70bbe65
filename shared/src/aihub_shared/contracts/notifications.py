"""Events of the notifications service on `notifications.deliveries`, keyed by delivery id."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
