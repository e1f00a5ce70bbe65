"""Handling a run of records of one event type at once: one inbox statement for the run, one
call of the service's batch handler, so its database work can be set-based (issue 16: intake
was bound by a dozen round trips per record).

A batch handler must give the same effect as handling the same events one by one in their
order (a later event sees what an earlier one of the same run stored). The consumer
(`consumer.py`) calls it within the fast path's transaction, after claiming the run's inbox
rows; when it raises, the transaction is rolled back, the records before the run are applied
again, and the run's records go one by one on the slow path (each through the same handler
with a one-event run), so a poison record is dead-lettered with its reason and blocks nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime import record_context
from aihub_shared.runtime.db import DbConnection


@dataclasses.dataclass(frozen=True)
class Consumed:
    """One decoded event of a run, with what a rule may need of its record."""

    event: CloudEvent
    data: Any
    #: When the record reached the broker (`record_context.arrival_time` on the one-by-one path).
    arrival: datetime


BatchHandler = Callable[[DbConnection, Sequence[Consumed]], Awaitable[None]]


def one_by_one(
    handler: BatchHandler,
) -> Callable[[DbConnection, CloudEvent, Any], Awaitable[None]]:
    """The batch handler as a per-record handler (slow path, replays): a run of one event,
    arriving when the record being handled did."""

    async def handle(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        await handler(conn, [Consumed(event, data, record_context.arrival_time())])

    return handle
