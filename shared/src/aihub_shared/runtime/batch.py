"""Handling a run of records of one event type at once: one inbox statement for the run, one
call of the service's batch handler, so its database work can be set-based (issue 16: intake
was bound by a dozen round trips per record).

A batch handler must give the same effect as handling the same events one by one in their
order (a later event sees what an earlier one of the same run stored). The consumer
(`consumer.py`) runs it inside a savepoint of the fast path's transaction; when it raises, the
run is rolled back and its records go one by one (each through the same handler with a
one-event run), so a poison record is dead-lettered with its reason and blocks nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from aiokafka import ConsumerRecord

from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime import inbox, record_context
from aihub_shared.runtime.db import DbConnection

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True)
class Consumed:
    """One decoded event of a run, with what a rule may need of its record."""

    event: CloudEvent
    data: Any
    #: When the record reached the broker (`record_context.arrival_time` on the one-by-one path).
    arrival: datetime


BatchHandler = Callable[[DbConnection, Sequence[Consumed]], Awaitable[None]]


@dataclasses.dataclass(frozen=True)
class Decoded:
    record: ConsumerRecord
    event: CloudEvent
    #: The contract's short name (`application.submitted`).
    name: str
    data: Any


def one_by_one(
    handler: BatchHandler,
) -> Callable[[DbConnection, CloudEvent, Any], Awaitable[None]]:
    """The batch handler as a per-record handler (slow path, replays): a run of one event,
    arriving when the record being handled did."""

    async def handle(conn: DbConnection, event: CloudEvent, data: Any) -> None:
        await handler(conn, [Consumed(event, data, record_context.arrival_time())])

    return handle


def inbox_key(event: CloudEvent) -> str:
    """CloudEvents ids are unique per source, so the inbox key carries both."""
    return f"{event.source}|{event.id}"


async def claim_and_apply(
    conn: DbConnection, consumer: str, run: Sequence[Decoded], handler: BatchHandler
) -> list[str]:
    """The run's effects, once: its inbox rows and the handler's writes share the caller's
    transaction. Each record's outcome: `done`, or `duplicate` (handled before, or earlier in
    the run)."""
    keys = [inbox_key(item.event) for item in run]
    claimed = await inbox.claim_all(conn, consumer, keys, "done")
    fresh: list[Consumed] = []
    outcomes: list[str] = []
    for item, key in zip(run, keys, strict=True):
        if key in claimed:
            claimed.discard(key)
            fresh.append(Consumed(item.event, item.data, record_context.arrival_of(item.record)))
            outcomes.append("done")
        else:
            outcomes.append("duplicate")
    positions = f"{record_context.position(run[0].record)}..{run[-1].record.offset}"
    with structlog.contextvars.bound_contextvars(consumer=consumer, positions=positions):
        if len(fresh) < len(run):
            log.info("duplicate events skipped", count=len(run) - len(fresh))
        if fresh:
            await handler(conn, fresh)
    return outcomes
