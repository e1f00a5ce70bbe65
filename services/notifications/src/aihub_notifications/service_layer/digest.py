"""The daily digest: at a set time in Seoul, every program manager gets one mail about their
cohorts (new applications in the last 24 hours, pending reviews, seats left), from this
service's replicas.

Once per day: the digest day's row in `digest_runs` and its deliveries are written in one
transaction, and the deliveries' identity is (`digest:<day>`, recipient, template). A restart
after the time catches up the same day; it never sends a day twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import asyncpg
import structlog

from aihub_notifications.adapters import directory, replicas
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.deliveries import recipient_key
from aihub_notifications.domain.digest import CohortFigures, compose_digest, due_day, next_run_at
from aihub_notifications.domain.staff import MailKind, staff_recipients
from aihub_notifications.service_layer.mailing import queue_requests
from aihub_shared.contracts.values import Contact
from aihub_shared.runtime.db import DbConnection

log = structlog.get_logger(__name__)

DIGEST_EVENT_TYPE = "daily-digest"
Clock = Callable[[], datetime]


async def cohort_figures(conn: DbConnection, now: datetime, day: date) -> list[CohortFigures]:
    """Each cohort not over by `day`: applications received in the 24 hours before `now`,
    pending reviews, seats.

    A review is pending while its assignment has no `review.submitted`, its application is
    still undecided and in that stage (no `application.advanced` out of it). An assignment
    replaced after a conflict of interest is gone (`review.assigned` with `replaces`), and so is
    one whose reviewer a challenge removed (`review.challenge_decided`, upheld). A pending review
    is overdue once its due time has passed."""
    rows = await conn.fetch(
        "SELECT c.*,"
        " (SELECT count(*) FROM applicants a WHERE a.cohort_code = c.cohort_code"
        "   AND a.received_at > $1::timestamptz - interval '24 hours'"
        "   AND a.received_at <= $1::timestamptz) AS new_apps,"
        " (SELECT count(*) FROM review_assignments r JOIN applicants a"
        "   ON a.application_id = r.application_id"
        "   WHERE r.cohort_code = c.cohort_code AND a.status = 'received'"
        "   AND r.submitted_at IS NULL AND r.stage_closed_at IS NULL) AS pending,"
        " (SELECT count(*) FROM review_assignments r JOIN applicants a"
        "   ON a.application_id = r.application_id"
        "   WHERE r.cohort_code = c.cohort_code AND a.status = 'received'"
        "   AND r.submitted_at IS NULL AND r.stage_closed_at IS NULL"
        "   AND r.due_at <= $1::timestamptz) AS overdue"
        " FROM cohorts c WHERE c.ends_on IS NULL OR c.ends_on >= $2"
        " ORDER BY c.program_code, c.cohort_code",
        now,
        day,
    )
    return [
        CohortFigures(
            program_code=r["program_code"],
            program_name_ko=r["program_name_ko"],
            program_name_en=r["program_name_en"],
            cohort_code=r["cohort_code"],
            new_applications=r["new_apps"],
            pending_reviews=r["pending"],
            overdue_reviews=r["overdue"],
            seats=r["seats"],
            seats_taken=r["seats_taken"],
        )
        for r in rows
    ]


async def queue_digest(
    pool: asyncpg.Pool, renderer: MailRenderer, day: date, now: datetime
) -> int | None:
    """Queue the digest of `day` unless it was queued already (None then); else how many mails
    (0: nobody to write to, and the day is not marked done)."""
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval("SELECT true FROM digest_runs WHERE digest_date = $1", day):
            return None
        figures = {f.cohort_code: f for f in await cohort_figures(conn, now, day)}
        members = await directory.staff_directory(conn)
        per_recipient: dict[str, tuple[Contact, list[CohortFigures]]] = {}
        for cohort in await replicas.cohorts(conn):
            if cohort.cohort_code not in figures:
                continue
            for contact in staff_recipients(
                MailKind.DAILY_DIGEST,
                cohort.program_code,
                cohort_managers=cohort.program_managers,
                directory=members,
            ):
                entry = per_recipient.setdefault(recipient_key(str(contact.email)), (contact, []))
                entry[1].append(figures[cohort.cohort_code])
        requests = [
            request
            for contact, cohorts in per_recipient.values()
            if (request := compose_digest(contact, cohorts, day)) is not None
        ]
        if not requests:
            # Nobody to write to (yet: a replica still filling after a start): the day stays
            # open, the next wake-up tries again.
            return 0
        queued = await queue_requests(
            conn, requests, renderer, event_id=f"digest:{day}", event_type=DIGEST_EVENT_TYPE
        )
        await conn.execute(
            "INSERT INTO digest_runs (digest_date, queued) VALUES ($1, $2)", day, queued
        )
    log.info("daily digest queued", day=str(day), mails=queued)
    return queued


class DigestScheduler:
    """A `BackgroundWorker`: runs the digest at `at` (Seoul time) each day; the clock and the
    sleep are injectable so tests can drive days in milliseconds."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        renderer: MailRenderer,
        *,
        at: time,
        clock: Clock,
        max_sleep_seconds: float = 300.0,
        startup_delay_seconds: float = 60.0,
    ) -> None:
        self._pool = pool
        self._renderer = renderer
        self._at = at
        self._clock = clock
        self._max_sleep = max_sleep_seconds
        # Right after a start the replicas may still be catching up on the catalog.
        self._startup_delay = startup_delay_seconds
        self._stopping = asyncio.Event()

    async def tick(self) -> int | None:
        """Run today's digest if its time has come and it has not run; what `queue_digest`
        returned (None: nothing to do)."""
        now = self._clock()
        day = due_day(now, self._at)
        if day is None:
            return None
        return await queue_digest(self._pool, self._renderer, day, now)

    def seconds_until_next(self) -> float:
        now = self._clock()
        wait = (next_run_at(now, self._at) - now) / timedelta(seconds=1)
        # Wake up now and then anyway: a clock that jumps (suspend, NTP) is caught up on.
        return max(0.0, min(wait, self._max_sleep))

    async def run(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=self._startup_delay)
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("daily digest failed; retrying later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=max(self.seconds_until_next(), 1.0)
                )

    async def stop(self) -> None:
        self._stopping.set()
