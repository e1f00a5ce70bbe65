"""Reviewer reminders: before an assignment is due (`REVIEW_REMINDER_OFFSETS`, e.g. 48 h and
24 h before), a reviewer who has not scored it gets a mail with the button to its scoring page,
in the language the staff directory has for them.

Once per (assignment, offset), with any number of instances: each reminder is one transaction
that locks the assignment (still open?), inserts its `review_reminders` row (the key: a second
instance waits on it and then does nothing), queues the mail and adds `reminder.sent` to the
outbox. The mail's cause is that event, whose id is derived from (assignment, offset), so even
its delivery identity is the same in every instance. A kill -9 before the commit leaves nothing
behind: the next scan sends it; after the commit the mail sender's own exactly-once rules hold
(at most the one message in flight repeated, under the same Message-ID; never none).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import asyncpg
import structlog

from aihub_notifications.adapters import directory, reminders, replicas
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.deliveries import delivery_id
from aihub_notifications.domain.reminders import (
    REVIEW_REMINDER_REVIEWER,
    OpenAssignment,
    reminder_due,
    reminder_event_id,
    review_reminder,
)
from aihub_notifications.domain.staff import StaffMember, reviewer_recipient
from aihub_notifications.service_layer.events import new_event
from aihub_notifications.service_layer.mailing import queue_requests
from aihub_shared.contracts.applications import ReviewerRef
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.notifications import ReminderSent
from aihub_shared.runtime import outbox
from aihub_shared.runtime.failpoints import crash_if_armed
from aihub_shared.runtime.logging import mask_email

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


class ReminderScheduler:
    """A `BackgroundWorker`: every `poll_seconds`, sends the reminders that have fallen due."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        renderer: MailRenderer,
        *,
        offsets: Sequence[timedelta],
        clock: Clock,
        poll_seconds: float = 60.0,
    ) -> None:
        self._pool = pool
        self._renderer = renderer
        self._offsets = tuple(offsets)
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        """Send the reminders due now; how many this instance sent."""
        if not self._offsets:
            return 0
        now = self._clock()
        async with self._pool.acquire() as conn:
            candidates = await reminders.due_within(conn, now, max(self._offsets))
            members = await directory.staff_directory(conn)
        sent = 0
        for candidate in candidates:
            offset = reminder_due(
                due_at=candidate.assignment.due_at,
                assigned_at=candidate.assignment.assigned_at,
                offsets=self._offsets,
                sent=candidate.sent,
                now=now,
            )
            if offset is not None and await self._remind(candidate.assignment, offset, members):
                sent += 1
        return sent

    async def _remind(
        self, assignment: OpenAssignment, offset: timedelta, members: Sequence[StaffMember]
    ) -> bool:
        reviewer = reviewer_recipient(assignment.reviewer_email, assignment.reviewer_name, members)
        if reviewer is None:
            return False  # inactive in the directory: not written to (as for assignments)
        event_id = reminder_event_id(
            assignment.application_id, assignment.stage_code, assignment.reviewer_email, offset
        )
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                if not await reminders.lock_if_open(conn, assignment):
                    return False
                if not await reminders.record_reminder(conn, assignment, offset, event_id):
                    return False
                cohort = await replicas.cohort(conn, assignment.cohort_code)
                event = _reminder_sent(assignment, offset, event_id, str(reviewer.email))
                await outbox.add_events(conn, [event])
                await queue_requests(
                    conn,
                    review_reminder(assignment, cohort, reviewer, offset),
                    self._renderer,
                    event_id=event_id,
                    event_type=event.type,
                )
            # Crash tests: right at the commit, before anything else runs (the mail not sent).
            crash_if_armed("reminder:after-commit")
        log.info(
            "reviewer reminded",
            application_id=assignment.application_id,
            stage_code=assignment.stage_code,
            reviewer=mask_email(assignment.reviewer_email),
            offset_hours=offset / timedelta(hours=1),
        )
        return True

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # the database away, or a bug: logged, and the next round tries
                log.exception("reminder round failed; retrying later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._poll_seconds)

    async def stop(self) -> None:
        self._stopping.set()


def _reminder_sent(
    assignment: OpenAssignment, offset: timedelta, event_id: str, address: str
) -> CloudEvent:
    data = ReminderSent(
        delivery_id=str(delivery_id(event_id, address, REVIEW_REMINDER_REVIEWER)),
        application_id=assignment.application_id,
        program_code=assignment.program_code,
        cohort_code=assignment.cohort_code,
        stage_code=assignment.stage_code,
        reviewer=ReviewerRef(id=assignment.reviewer_email, name=assignment.reviewer_name),
        due_at=assignment.due_at,
        offset_hours=offset / timedelta(hours=1),
    )
    event = new_event("reminder.sent", subject=data.delivery_id, data=data)
    return event.model_copy(update={"id": event_id})
