"""The events this service writes to its outbox."""

from __future__ import annotations

from pydantic import BaseModel

from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import contract

SOURCE = "/services/programs"


def new_event(
    name: str,
    subject: str,
    data: BaseModel,
    *,
    caused_by: CloudEvent | None = None,
    correlation_id: str | None = None,
) -> CloudEvent:
    """An event of this service; `subject` is its Kafka key."""
    return CloudEvent.new(
        type=contract(name).type,
        source=SOURCE,
        subject=subject,
        data=data,
        caused_by=caused_by,
        correlation_id=correlation_id,
    )
