"""Consuming events: parse, deduplicate, apply in one transaction, dead-letter or retry.

Every record ends in exactly one of: effect committed (inbox row `done`), skipped (a type this
consumer does not handle, or a duplicate), refused (a contract violation the spec's `refuse`
answered, e.g. with a refused receipt; inbox row `refused`), or dead letter written through the
outbox (inbox row `dead-lettered`). Refusals and dead letters are keyed by the record's position,
so a replay of the same bytes is a new message.
Transient faults are retried in place with backoff, so a partition never skips ahead.
Offsets are committed by FastStream only after the whole batch returned (see subscription.py), so
a crash anywhere replays the batch and the inbox turns the replay into no-ops.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from prometheus_client import Counter
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_exponential_jitter,
)

from aihub_shared.contracts.envelope import CloudEvent, EventContractError
from aihub_shared.contracts.topics import dead_letter_topic
from aihub_shared.runtime import batch, inbox, outbox, record_context
from aihub_shared.runtime.batch import BatchHandler
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.deadletters import MAX_DEAD_LETTER_KEY, bounded_copy
from aihub_shared.runtime.errors import RejectedEvent, ReplayFailed, RetryLater, is_transient
from aihub_shared.runtime.event_decoding import decode_record
from aihub_shared.runtime.refused_receipts import ContractRefusal, ContractViolation
from aihub_shared.runtime.retry import RetryBudget, RetryPolicy, failure_kind

log = structlog.get_logger(__name__)

Handler = Callable[[DbConnection, CloudEvent, Any], Awaitable[None]]

CONSUMED = Counter("events_consumed_total", "Events handled", ["consumer", "outcome"])
RETRIES = Counter("event_retries_total", "Retries of a failing event", ["consumer", "kind"])


class _DeadLetter(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


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
        self._batch_handlers = dict(batch_handlers or {})
        self._handlers = {
            **{name: batch.one_by_one(h) for name, h in self._batch_handlers.items()},
            **handlers,
        }
        self._pool = pool
        self.retry = retry or RetryPolicy()
        self._refuse = refuse

    async def handle_batch(self, records: Sequence[ConsumerRecord]) -> int:
        """Fast path: the whole batch in one transaction, a savepoint per record (per run of
        records for an event name with a batch handler, see `batch.py`). A record that
        needs a retry ends the fast run; what came before it is committed, it takes the slow
        path (its own transaction, with backoff), and the fast path resumes after it.
        Returns how many records had their effect applied (not skipped, not dead-lettered)."""
        applied = position = 0
        while position < len(records):
            outcomes = await self._apply_in_one_transaction(records[position:])
            applied += outcomes.count("done")
            position += len(outcomes)
            if position < len(records):
                applied += await self.handle_record(records[position]) == "done"
                position += 1
        return applied

    async def _apply_in_one_transaction(self, records: Sequence[ConsumerRecord]) -> list[str]:
        outcomes: list[str] = []
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                while len(outcomes) < len(records):
                    done = await self._apply_next(conn, records[len(outcomes) :])
                    outcomes += [outcome for outcome in done if outcome is not None]
                    if None in done:
                        break
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("batch transaction failed; continuing one by one", error=repr(exc))
            return []
        for outcome in outcomes:
            CONSUMED.labels(self.name, outcome).inc()
        return outcomes

    async def _apply_next(
        self, conn: DbConnection, records: Sequence[ConsumerRecord]
    ) -> list[str | None]:
        """The outcomes of the next run of records a batch handler takes, or of the next record;
        a None ends the fast run there (that record takes the slow path)."""
        run = self._batch_run(records)
        if not run:
            return [await self._try_in_transaction(conn, records[0])]
        handler = self._batch_handlers[run[0].name]
        try:
            async with conn.transaction():  # a savepoint: a failed run leaves no trace
                return list(await batch.claim_and_apply(conn, self.name, run, handler))
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("batch failed; its records go one by one", error=repr(exc))
        outcomes: list[str | None] = []
        for item in run:
            outcome = await self._try_in_transaction(conn, item.record)
            outcomes.append(outcome)
            if outcome is None:
                break
        return outcomes

    def _batch_run(self, records: Sequence[ConsumerRecord]) -> list[batch.Decoded]:
        """The longest prefix of valid records of one event name a batch handler takes."""
        run: list[batch.Decoded] = []
        if not self._batch_handlers:  # decoding is the costly part: only when a run may follow
            return run
        for record in records:
            try:
                event, name, data = decode_record(record)
            except Exception:
                break
            if name not in self._batch_handlers or (run and run[0].name != name):
                break
            run.append(batch.Decoded(record, event, name, data))
        return run

    async def _try_in_transaction(self, conn: DbConnection, record: ConsumerRecord) -> str | None:
        """The record's outcome within the caller's transaction, or None for the slow path."""
        with record_context.handling(self.name, record):
            try:
                event, data, handler = self._decode(record)
            except EventContractError as exc:
                return await self._answer_violation(conn, record, exc)
            if handler is None:
                return "ignored"
            with record_context.about(event):
                try:
                    async with conn.transaction():  # a savepoint: a failed handler leaves no trace
                        return await self._claim_and_apply(conn, event, data, handler)
                except RejectedEvent as exc:
                    reason = "rejected by a business rule"
                    return await self._write_dead_letter(conn, record, reason, exc.reason)
                except Exception:
                    return None

    async def handle_record(self, record: ConsumerRecord) -> str:
        """Slow path for one record: its own transaction, retries with backoff; its outcome."""
        with record_context.handling(self.name, record):
            try:
                event, data, handler = self._decode(record)
            except EventContractError as exc:
                answer = functools.partial(self._answer_violation, record=record, exc=exc)
                return await self._in_own_transaction(answer)
            if handler is None:
                CONSUMED.labels(self.name, "ignored").inc()
                return "ignored"
            with record_context.about(event):
                try:
                    return await self._apply(event, data, handler)
                except _DeadLetter as exc:
                    return await self._dead_letter(record, exc.reason, exc.detail)

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
                        return await self._claim_and_apply(conn, event, data, handler)
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
        try:
            event, name, data = decode_record(record)
            return event, data, self._handlers.get(name)
        except EventContractError:
            raise
        except Exception as exc:  # whatever else hostile bytes provoke is still about the bytes
            raise EventContractError("undecodable message", type(exc).__name__) from exc

    async def _answer_violation(
        self, conn: DbConnection, record: ConsumerRecord, exc: EventContractError
    ) -> str:
        """A refused receipt (or whatever the spec's `refuse` answers) when the violation can be
        attributed to a publisher and its id; else, or as well when nothing answers, a dead
        letter. Both in the caller's transaction, once per record position."""
        answer = []
        if self._refuse is not None and exc.document is not None:
            answer = list(self._refuse(ContractViolation(exc.document, exc.reason, exc.errors)))
        if not answer:
            return await self._write_dead_letter(conn, record, exc.reason, exc.detail)
        if not await inbox.claim(conn, self.name, record_context.position(record), "refused"):
            return "duplicate"
        await outbox.add_events(conn, answer)
        log.info("contract violation answered", reason=exc.reason, detail=exc.detail[:500])
        return "refused"

    async def _apply(self, event: CloudEvent, data: BaseModel, handler: Handler) -> str:
        async for attempt in AsyncRetrying(
            # Cancellation (shutdown) must end the retries, not count as one.
            retry=retry_if_exception(
                lambda e: not isinstance(e, _DeadLetter | asyncio.CancelledError)
            ),
            stop=RetryBudget(self.retry),
            wait=self._backoff(),
            before_sleep=self._log_retry,
            retry_error_callback=self._give_up,
            reraise=False,
        ):
            with attempt:
                return await self._apply_once(event, data, handler)
        raise AssertionError("unreachable: retries end in a result or an exception")

    async def _apply_once(self, event: CloudEvent, data: BaseModel, handler: Handler) -> str:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                outcome = await self._claim_and_apply(conn, event, data, handler)
        except RejectedEvent as exc:
            raise _DeadLetter("rejected by a business rule", exc.reason) from exc
        CONSUMED.labels(self.name, outcome).inc()
        return outcome

    async def _claim_and_apply(
        self, conn: DbConnection, event: CloudEvent, data: BaseModel, handler: Handler
    ) -> str:
        """The effect, once: the inbox row and the handler's writes share the caller's
        transaction."""
        if not await inbox.claim(conn, self.name, batch.inbox_key(event), "done"):
            log.info("duplicate event skipped")
            return "duplicate"
        await handler(conn, event, data)
        return "done"

    def _backoff(self) -> wait_exponential_jitter:
        return wait_exponential_jitter(
            multiplier=self.retry.initial_backoff,
            max=self.retry.max_backoff,
            jitter=self.retry.initial_backoff,
        )

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        kind = failure_kind(exc)
        RETRIES.labels(self.name, kind).inc()
        log.warning(
            "event failed; retrying",
            kind=kind,
            attempt=state.attempt_number,
            error=repr(exc),
            next_in=round(state.upcoming_sleep, 2),
        )

    def _give_up(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _DeadLetter):
            raise exc
        detail = "".join(traceback.format_exception_only(exc)).strip() if exc else "unknown"
        reason = "dependency not ready in time" if isinstance(exc, RetryLater) else "unexpected"
        raise _DeadLetter(reason, detail)

    async def _dead_letter(self, record: ConsumerRecord, reason: str, detail: str) -> str:
        return await self._in_own_transaction(
            lambda conn: self._write_dead_letter(conn, record, reason, detail)
        )

    async def _in_own_transaction(self, write: Callable[[DbConnection], Awaitable[str]]) -> str:
        """`write` in a transaction of its own, retried while the database is away."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=self._backoff(),
            before_sleep=self._log_retry,
            reraise=True,
        ):
            with attempt:
                async with self._pool.acquire() as conn, conn.transaction():
                    outcome = await write(conn)
        CONSUMED.labels(self.name, outcome).inc()
        return outcome

    async def _write_dead_letter(
        self, conn: DbConnection, record: ConsumerRecord, reason: str, detail: str
    ) -> str:
        """Queue the original record for `<topic>.dlq`, once per record position."""
        if not await inbox.claim(conn, self.name, record_context.position(record), "dead-lettered"):
            return "duplicate"
        value, extra = bounded_copy(record)
        headers = [
            *extra,
            ("dlq_reason", reason.encode()),
            ("dlq_detail", detail[:2000].encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_at", datetime.now(UTC).isoformat().encode()),
        ]
        await outbox.add_raw(
            conn,
            topic=dead_letter_topic(record.topic),
            key=record.key[:MAX_DEAD_LETTER_KEY] if record.key else record.key,
            value=value,
            headers=headers,
        )
        log.warning("dead-lettered", reason=reason, detail=detail[:500])
        return "dead-lettered"
