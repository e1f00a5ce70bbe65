"""The background worker that frees seats whose agreement was not signed in time, and closes
the waitlists of cohorts that have ended."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from aihub_programs.adapters import enrollments as enrollments_db
from aihub_programs.service_layer.seats import Operation, in_locked_cohort, now

log = structlog.get_logger(__name__)


async def expire_due_agreements(pool: asyncpg.Pool, *, limit: int = 100) -> int:
    """Cancel the seats whose agreement deadline passed unsigned, promoting the waitlist; each
    in its own short transaction. Several instances may run this at once: the cohort lock and
    the re-check inside it make each expiry happen once. Returns how many expired."""
    async with pool.acquire() as conn:
        due = await enrollments_db.due_agreements(conn, now(), limit)
    expired = 0
    for cohort_code, application_id in due:
        async with pool.acquire() as conn, conn.transaction():
            outcome = await in_locked_cohort(
                conn, cohort_code, _expiry_of(application_id), about=application_id
            )
            expired += bool(outcome.changes)
    return expired


def _expiry_of(application_id: str) -> Operation:
    return lambda seats, moment: seats.expire(application_id, now=moment)


async def close_ended_cohorts(pool: asyncpg.Pool) -> int:
    """Cancel the startups still waiting in cohorts that have ended ("the cohort has ended"),
    one cohort per transaction; the cohort lock and the re-check inside it make it happen once
    with several instances. Returns how many were cancelled."""
    async with pool.acquire() as conn:
        ended = await enrollments_db.ended_cohorts_with_waitlist(conn, now())
    closed = 0
    for cohort_code in ended:
        async with pool.acquire() as conn, conn.transaction():
            outcome = await in_locked_cohort(
                conn, cohort_code, lambda seats, moment: seats.rebalance(now=moment)
            )
            closed += len(outcome.changes)
    return closed


class AgreementDeadlines:
    """A `BackgroundWorker`: every `interval` seconds, expire what is due (each instance of the
    service runs one; the cohort lock makes them agree)."""

    def __init__(self, pool: asyncpg.Pool, *, interval: float, batch_size: int = 100) -> None:
        self._pool = pool
        self._interval = interval
        self._batch_size = batch_size
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                expired = await expire_due_agreements(self._pool, limit=self._batch_size)
                # After the expiries: a seat freed just before the end still promotes.
                closed = await close_ended_cohorts(self._pool)
                if closed:
                    log.info("cohorts ended; their waitlists closed", cancelled=closed)
                if expired:
                    log.info("agreement deadlines passed; seats freed", expired=expired)
                    if expired == self._batch_size:
                        continue  # more may be due right now
            except Exception:
                # Postgres down or a bug: nothing was half-done (one transaction per expiry).
                log.exception("agreement deadline check failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)

    async def stop(self) -> None:
        self._stopping.set()
