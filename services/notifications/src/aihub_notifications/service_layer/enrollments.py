"""`programs.enrollments`: every enrollment change and a full cohort update the seats taken, then
mail the applicant and the program's staff (`mailing.py`). Changes are handled a run at a time,
the managers' notices grouped (`staff_notices.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_notifications.adapters import replicas
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.staff import MailKind
from aihub_notifications.service_layer.mailing import (
    cohort_replica,
    event_name,
    queue_mails,
    staff_for,
)
from aihub_notifications.service_layer.staff_notices import RunLookups, queue_planned
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortFilled, EnrollmentChanged
from aihub_shared.runtime import batch
from aihub_shared.runtime.batch import BatchHandler, Consumed
from aihub_shared.runtime.consumer import Handler
from aihub_shared.runtime.db import DbConnection

#: The enrollment events that mail the applicant and the managers' `enrollment_changed_manager`.
CHANGES = (
    "enrollment.confirmed",
    "enrollment.waitlisted",
    "enrollment.promoted",
    "enrollment.agreement_signed",
    "enrollment.cancelled",
)


def enrollment_batch_handlers(renderer: MailRenderer) -> dict[str, BatchHandler]:
    """Enrollment changes a run at a time, the managers' notices grouped (`staff_notices.py`)."""

    async def changed(conn: DbConnection, run: Sequence[Consumed]) -> None:
        """A constant number of statements per run, with the effect of the events one by one."""
        changes = [(c.event, EnrollmentChanged.model_validate(c.data)) for c in run]
        lookups = await RunLookups.load(
            conn,
            [data.cohort_code for _, data in changes],
            [data.application_id for _, data in changes],
        )
        planned = []
        for event, data in changes:
            cohort = lookups.cohort(data.cohort_code)
            applicant = lookups.replicated_applicant(data.application_id)
            staff = await lookups.staff(MailKind.ENROLLMENT, cohort)
            requests = mails.enrollment_changed(event_name(event), data, cohort, applicant, staff)
            planned.append((event, requests))
        await _count_seats(conn, changes)
        await queue_planned(conn, planned, renderer)

    return dict.fromkeys(CHANGES, changed)


def enrollment_handlers(renderer: MailRenderer) -> dict[str, Handler]:
    """Every event one at a time (the changes as runs of one, as the consumer's slow path)."""

    async def filled(conn: DbConnection, event: CloudEvent, data: CohortFilled) -> None:
        cohort = await cohort_replica(conn, data.cohort_code)
        await _count_seats(conn, [(event, data)])
        staff = await staff_for(conn, MailKind.COHORT_FILLED, cohort)
        await queue_mails(conn, event, mails.cohort_filled(data, cohort, staff), renderer)

    batched = enrollment_batch_handlers(renderer)
    return {
        **{name: batch.one_by_one(handler) for name, handler in batched.items()},
        "cohort.filled": filled,
    }


def enrollment_confirmed_handler(renderer: MailRenderer) -> Handler:
    """`enrollment.confirmed` alone (tests and callers of the first slice)."""
    return enrollment_handlers(renderer)["enrollment.confirmed"]


async def _count_seats(
    conn: DbConnection, changes: Sequence[tuple[CloudEvent, EnrollmentChanged | CohortFilled]]
) -> None:
    await replicas.count_seats(
        conn,
        [
            replicas.SeatsCount(data.cohort_code, data.seats, data.seats_taken, event.time)
            for event, data in changes
        ],
    )
