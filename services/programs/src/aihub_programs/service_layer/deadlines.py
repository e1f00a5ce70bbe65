"""The background worker that frees seats whose agreement was not signed in time, and closes
the waitlists of cohorts that have ended."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from aihub_programs.service_layer.enrollment import close_ended_cohorts, expire_due_agreements

log = structlog.get_logger(__name__)


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
