"""The consumer's slow path: one record in a transaction of its own, retried with backoff
(`retry.py` says how long per kind of failure) until its effect commits or it becomes a dead
letter. Cancellation (shutdown) ends the retries at once."""

from __future__ import annotations

import asyncio
import dataclasses
import traceback
from collections.abc import Awaitable, Callable

import asyncpg
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_exponential_jitter,
)

from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime import inbox
from aihub_shared.runtime.consuming import CONSUMED, RETRIES, Handler, inbox_key, log
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent, RetryLater, is_transient
from aihub_shared.runtime.retry import RetryBudget, RetryPolicy, failure_kind


class DeadLetter(Exception):
    """The record's retries are over (or a business rule can never pass): dead-letter it."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


async def claim_and_apply(
    conn: DbConnection, consumer: str, event: CloudEvent, data: BaseModel, handler: Handler
) -> str:
    """The effect, once: the inbox row and the handler's writes share the caller's
    transaction."""
    if not await inbox.claim(conn, consumer, inbox_key(event), "done"):
        log.info("duplicate event skipped")
        return "duplicate"
    await handler(conn, event, data)
    return "done"


@dataclasses.dataclass(frozen=True)
class RecordRetries:
    """One consumer's slow path: its name, pool and retry policy."""

    consumer: str
    pool: asyncpg.Pool
    policy: RetryPolicy

    async def apply(self, event: CloudEvent, data: BaseModel, handler: Handler) -> str:
        """The event's outcome, retried; `DeadLetter` when the retries gave up."""
        async for attempt in AsyncRetrying(
            # Cancellation (shutdown) must end the retries, not count as one.
            retry=retry_if_exception(
                lambda e: not isinstance(e, DeadLetter | asyncio.CancelledError)
            ),
            stop=RetryBudget(self.policy),
            wait=self._backoff(),
            before_sleep=self._log_retry,
            retry_error_callback=self._give_up,
            reraise=False,
        ):
            with attempt:
                return await self._apply_once(event, data, handler)
        raise AssertionError("unreachable: retries end in a result or an exception")

    async def in_own_transaction(self, write: Callable[[DbConnection], Awaitable[str]]) -> str:
        """`write` in a transaction of its own, retried while the database is away."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=self._backoff(),
            before_sleep=self._log_retry,
            reraise=True,
        ):
            with attempt:
                async with self.pool.acquire() as conn, conn.transaction():
                    outcome = await write(conn)
        CONSUMED.labels(self.consumer, outcome).inc()
        return outcome

    async def _apply_once(self, event: CloudEvent, data: BaseModel, handler: Handler) -> str:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                outcome = await claim_and_apply(conn, self.consumer, event, data, handler)
        except RejectedEvent as exc:
            raise DeadLetter("rejected by a business rule", exc.reason) from exc
        CONSUMED.labels(self.consumer, outcome).inc()
        return outcome

    def _backoff(self) -> wait_exponential_jitter:
        return wait_exponential_jitter(
            multiplier=self.policy.initial_backoff,
            max=self.policy.max_backoff,
            jitter=self.policy.initial_backoff,
        )

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        kind = failure_kind(exc)
        RETRIES.labels(self.consumer, kind).inc()
        log.warning(
            "event failed; retrying",
            kind=kind,
            attempt=state.attempt_number,
            error=repr(exc),
            next_in=round(state.upcoming_sleep, 2),
        )

    def _give_up(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, DeadLetter):
            raise exc
        detail = "".join(traceback.format_exception_only(exc)).strip() if exc else "unknown"
        reason = "dependency not ready in time" if isinstance(exc, RetryLater) else "unexpected"
        raise DeadLetter(reason, detail)
