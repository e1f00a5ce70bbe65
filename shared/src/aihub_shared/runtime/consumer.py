"""Consuming events: parse, deduplicate, apply in one transaction, dead-letter or retry.

Every record ends in exactly one of: effect committed (inbox row `done`), skipped (a type this
consumer does not handle, or a duplicate), refused (a contract violation the spec's `refuse`
answered, e.g. with a refused receipt; inbox row `refused`), or dead letter written through the
outbox (inbox row `dead-lettered`). Refusals and dead letters are keyed by the record's position,
so a replay of the same bytes is a new message.
Transient faults are retried in place with backoff, so a partition never skips ahead.
Offsets are committed by FastStream only after the whole batch returned (see subscription.py), so
a crash anywhere replays the batch and the inbox turns the replay into no-ops.

This module is the consumer's one import surface; its paths live beside it: the fast path
(`batch_transaction.py`), the slow path's retries (`record_retries.py`), refused receipts and
dead letters (`dead_letter_path.py`), and what they share (`consuming.py`).
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Mapping, Sequence

import asyncpg
from aiokafka import ConsumerRecord
from pydantic import BaseModel

from aihub_shared.contracts.envelope import CloudEvent, EventContractError
from aihub_shared.runtime import batch, record_context
from aihub_shared.runtime.batch import BatchHandler
from aihub_shared.runtime.batch_transaction import BatchTransaction
from aihub_shared.runtime.consuming import CONSUMED, Handler, decode_for, inbox_key
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.dead_letter_path import answer_violation, write_dead_letter
from aihub_shared.runtime.errors import RejectedEvent, ReplayFailed, RetryLater, is_transient
from aihub_shared.runtime.record_retries import DeadLetter, RecordRetries, claim_and_apply
from aihub_shared.runtime.refused_receipts import ContractRefusal
from aihub_shared.runtime.retry import RetryPolicy

__all__ = ["ConsumerSpec", "EventConsumer", "Handler", "inbox_key"]


@dataclasses.dataclass(frozen=True)
class ConsumerSpec:
    """What a service declares: a consumer group, the topics it reads, a handler per event name.
    The runtime turns it into an `EventConsumer` with the service's pool and retry policy."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]
    #: How a contract violation is answered instead of dead-lettered (an intake topic's
    #: `RefusedReceipts`); None: every violation is a dead letter.
    refuse: ContractRefusal | None = None
    #: Event names handled a run of records at a time (`batch.py`); also used one by one.
    batch_handlers: Mapping[str, BatchHandler] = dataclasses.field(default_factory=dict)

    def build(self, pool: asyncpg.Pool, retry: RetryPolicy) -> EventConsumer:
        return EventConsumer(
            name=self.name,
            topics=self.topics,
            handlers=self.handlers,
            pool=pool,
            retry=retry,
            refuse=self.refuse,
            batch_handlers=self.batch_handlers,
        )


class EventConsumer:
    """One consumer group: the topics it reads and a handler per event name it cares about."""

    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        pool: asyncpg.Pool,
        retry: RetryPolicy | None = None,
        refuse: ContractRefusal | None = None,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
    ) -> None:
        self.name = name
        self.topics = list(topics)
        batch_handlers = dict(batch_handlers or {})
        self._handlers = {
            **{name: batch.one_by_one(h) for name, h in batch_handlers.items()},
            **handlers,
        }
        self.retry = retry or RetryPolicy()
        self._refuse = refuse
        self._fast = BatchTransaction(name, pool, self._handlers, batch_handlers, refuse)
        self._slow = RecordRetries(name, pool, self.retry)

    async def handle_batch(self, records: Sequence[ConsumerRecord]) -> int:
        """Fast path: the whole batch in one transaction. A record that needs a retry ends the
        fast run (with a batch handler's whole run when that run failed); what came before it
        is committed, it takes the slow path (its own transaction, with backoff), and the fast
        path resumes after it.
        Returns how many records had their effect applied (not skipped, not dead-lettered)."""
        applied = position = 0
        while position < len(records):
            outcomes, failed = await self._fast.apply(records[position:])
            applied += outcomes.count("done")
            position += len(outcomes)
            for record in records[position : position + failed]:
                applied += await self.handle_record(record) == "done"
            position += len(records[position : position + failed])
        return applied

    async def handle_record(self, record: ConsumerRecord) -> str:
        """Slow path for one record: its own transaction, retries with backoff; its outcome."""
        with record_context.handling(self.name, record):
            try:
                event, data, handler = self._decode(record)
            except EventContractError as exc:
                return await self._answer_in_own_transaction(record, exc)
            if handler is None:
                CONSUMED.labels(self.name, "ignored").inc()
                return "ignored"
            with record_context.about(event):
                try:
                    return await self._slow.apply(event, data, handler)
                except DeadLetter as exc:
                    return await self._dead_letter_in_own_transaction(record, exc)

    async def _answer_in_own_transaction(
        self, record: ConsumerRecord, violation: EventContractError
    ) -> str:
        return await self._slow.in_own_transaction(
            lambda conn: answer_violation(conn, self.name, self._refuse, record, violation)
        )

    async def _dead_letter_in_own_transaction(
        self, record: ConsumerRecord, dead: DeadLetter
    ) -> str:
        return await self._slow.in_own_transaction(
            lambda conn: write_dead_letter(conn, self.name, record, dead.reason, dead.detail)
        )

    async def replay(self, conn: DbConnection, record: ConsumerRecord) -> str:
        """A dead letter handed back by ops (`dead_letter_admin.py`), in the caller's transaction:
        the same decoding and inbox-guarded claim-and-apply as on the fast path, once, without
        retries — so an effect already committed is a `duplicate`. A failure raises
        `ReplayFailed` and writes nothing; infrastructure faults propagate (the caller answers
        503)."""
        with record_context.handling(self.name, record):
            try:
                event, data, handler = self._decode(record)
            except EventContractError as exc:
                raise ReplayFailed(exc.reason, exc.detail) from exc
            if handler is None:
                return "ignored"
            with record_context.about(event):
                try:
                    async with conn.transaction():
                        return await claim_and_apply(conn, self.name, event, data, handler)
                except RejectedEvent as exc:
                    raise ReplayFailed("rejected by a business rule", exc.reason) from exc
                except RetryLater as exc:
                    raise ReplayFailed("dependency not ready", str(exc)) from exc
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    detail = "".join(traceback.format_exception_only(exc)).strip()
                    raise ReplayFailed("unexpected", detail) from exc

    def _decode(self, record: ConsumerRecord) -> tuple[CloudEvent, BaseModel, Handler | None]:
        event, _, data, handler = decode_for(record, self._handlers)
        return event, data, handler
