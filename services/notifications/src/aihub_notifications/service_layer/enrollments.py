"""`programs.enrollments`: every enrollment change and a full cohort update the seats taken, then
mail the applicant and the program's staff (`mailing.py`)."""

from __future__ import annotations

from aihub_notifications.adapters import replicas
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.replicas import CohortReplica
from aihub_notifications.domain.staff import MailKind
from aihub_notifications.service_layer.mailing import (
    applicant_replica,
    cohort_replica,
    event_name,
    queue_mails,
    staff_for,
)
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortFilled, EnrollmentChanged
from aihub_shared.runtime.consumer import Handler
from aihub_shared.runtime.db import DbConnection


def enrollment_handlers(renderer: MailRenderer) -> dict[str, Handler]:
    async def changed(conn: DbConnection, event: CloudEvent, data: EnrollmentChanged) -> None:
        cohort = await _count_seats(conn, event, data)
        applicant = await applicant_replica(conn, data.application_id)
        staff = await staff_for(conn, MailKind.ENROLLMENT, cohort)
        requests = mails.enrollment_changed(event_name(event), data, cohort, applicant, staff)
        await queue_mails(conn, event, requests, renderer)

    async def filled(conn: DbConnection, event: CloudEvent, data: CohortFilled) -> None:
        cohort = await _count_seats(conn, event, data)
        staff = await staff_for(conn, MailKind.COHORT_FILLED, cohort)
        await queue_mails(conn, event, mails.cohort_filled(data, cohort, staff), renderer)

    return {
        "enrollment.confirmed": changed,
        "enrollment.waitlisted": changed,
        "enrollment.promoted": changed,
        "enrollment.agreement_signed": changed,
        "enrollment.cancelled": changed,
        "cohort.filled": filled,
    }


def enrollment_confirmed_handler(renderer: MailRenderer) -> Handler:
    """`enrollment.confirmed` alone (tests and callers of the first slice)."""
    return enrollment_handlers(renderer)["enrollment.confirmed"]


async def _count_seats(
    conn: DbConnection, event: CloudEvent, data: EnrollmentChanged | CohortFilled
) -> CohortReplica:
    cohort = await cohort_replica(conn, data.cohort_code)
    await replicas.update_seats_taken(
        conn,
        data.cohort_code,
        seats=data.seats,
        seats_taken=data.seats_taken,
        event_time=event.time,
    )
    return cohort
