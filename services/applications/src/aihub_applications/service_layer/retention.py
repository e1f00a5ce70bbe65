"""The retention worker: applications whose cohort's retention period has passed are erased
exactly as a person's erasure request would erase them (here, then programs and notifications
through `person.erased`), under the requester `/services/applications/retention`."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime

import asyncpg
import structlog

from aihub_applications.adapters import erasure
from aihub_applications.domain.privacy import WAS_SELECTED
from aihub_applications.service_layer.erasure import take_request
from aihub_shared.contracts.privacy import PersonErasureRequested

log = structlog.get_logger(__name__)

RETENTION_REQUESTER = "/services/applications/retention"
#: Application ids per erasure request (the contract's limit).
BATCH = 100


async def erase_expired(pool: asyncpg.Pool, now: datetime) -> int:
    """Erase one batch of applications past their retention; returns how many."""
    async with pool.acquire() as conn, conn.transaction():
        due = await erasure.retention_candidates(
            conn, now.date(), sorted(s.value for s in WAS_SELECTED), BATCH
        )
        if not due:
            return 0
        request = PersonErasureRequested(
            request_id=f"retention-{uuid.uuid4()}", application_ids=[str(i) for i in due]
        )
        await take_request(conn, RETENTION_REQUESTER, request, caused_by=None)
    log.info("retention period passed; applications erased", applications=len(due))
    return len(due)


class RetentionWorker:
    """A `BackgroundWorker`: every `interval` seconds, erase what is past its retention. Several
    instances may run it: the rows are locked while erased and erased rows are not chosen
    again, so each application is erased once."""

    def __init__(
        self, pool: asyncpg.Pool, *, interval: float, clock: Callable[[], datetime]
    ) -> None:
        self._pool = pool
        self._interval = interval
        self._clock = clock
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                while await erase_expired(self._pool, self._clock()) == BATCH:
                    if self._stopping.is_set():
                        return
            except Exception:
                # Postgres down or a bug: nothing was half-done (one transaction per batch).
                log.exception("retention check failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)

    async def stop(self) -> None:
        self._stopping.set()
