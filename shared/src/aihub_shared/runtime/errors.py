"""How a handler says what kind of failure it hit; the consumer decides retry or dead letter."""

from __future__ import annotations

import asyncio

import asyncpg


class RejectedEvent(Exception):
    """A business rule that can never pass for this event: dead-letter it with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(Exception):
    """Something this event needs is not there yet (a replica lags behind): retry with backoff
    for a bounded time, then dead-letter so ops can replay it."""


class TransientError(Exception):
    """An outside dependency failed; retry with backoff for as long as it takes."""


_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    TransientError,
    OSError,
    TimeoutError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TransactionRollbackError,
)


def is_transient(exc: BaseException) -> bool:
    """Infrastructure faults (DB down, deadlock, network) that must never cost an event."""
    return isinstance(exc, _TRANSIENT_TYPES)


class ReplayFailed(Exception):
    """A dead letter handed back to its consumer failed again; nothing was written, and it stays
    on its dead-letter topic to be replayed once the cause is fixed."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
