"""Building the events this service publishes.

Every `applications.lifecycle` event has the cohort code as its subject, hence as its Kafka key:
one cohort's decisions and withdrawals then reach programs in the order they were made, so a
selection's seats go to ranks 1, 2, ... before its reserve is waitlisted, whichever partition
count the topic has. (Keyed by application id, a rank-3 reserve could overtake rank 2.)
"""

from __future__ import annotations

from pydantic import BaseModel

from aihub_shared.contracts.registry import ServiceEvents
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection

EVENTS = ServiceEvents("/services/applications")
new_event = EVENTS.new


async def publish(
    conn: DbConnection,
    name: str,
    *,
    subject: str,
    data: BaseModel,
    correlation_id: str | None = None,
) -> None:
    """Queue one event in the outbox, in the caller's transaction."""
    await outbox.add_events(
        conn, [new_event(name, subject=subject, data=data, correlation_id=correlation_id)]
    )
