"""Queueing the mails of a run of events at once, staff notices grouped (`domain/staff_notices.py`):
the batch handlers of `lifecycle.py` and `enrollments.py` plan each event's mails as the
one-by-one handlers do, then hand them here.

Exactly once: the consumer claims the run's inbox rows in the transaction these deliveries are
written in, so a run handled once is never grouped again, however a redelivery batches its
records; a run that fails is rolled back whole and its records go one by one (each a group of
one: today's mail).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from aihub_notifications.adapters import directory, replicas
from aihub_notifications.adapters.covered_events import record_covered_events
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.mails import MailRequest
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_notifications.domain.staff import MailKind, StaffMember, staff_recipients
from aihub_notifications.domain.staff_notices import Planned, group_staff_notices
from aihub_notifications.service_layer.mailing import (
    new_delivery,
    require_cohort,
    require_received,
    require_replicated,
    store_deliveries,
)
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.values import Contact
from aihub_shared.privacy import is_erased_address
from aihub_shared.runtime.db import DbConnection

#: The mails one event causes, planned as if it came alone, with the event.
PlannedMails = tuple[CloudEvent, Sequence[MailRequest]]


async def queue_planned(
    conn: DbConnection, planned: Sequence[PlannedMails], renderer: MailRenderer
) -> int:
    """Store the run's mails as pending deliveries, staff notices grouped; how many were new.
    A grouped mail's cause is its first event (its id, type and correlation id)."""
    events = {event.id: event for event, _ in planned}
    notices = group_staff_notices([Planned(event.id, requests) for event, requests in planned])
    rows = []
    covered: dict[uuid.UUID, tuple[str, ...]] = {}
    for notice in notices:
        if is_erased_address(notice.request.recipient.email):
            continue
        cause = events[notice.event_ids[0]]
        row = new_delivery(
            notice.request,
            renderer,
            event_id=cause.id,
            event_type=cause.type,
            correlation_id=cause.correlationid,
        )
        rows.append(row)
        if notice.grouped:
            covered[row.id] = notice.event_ids
    new = await store_deliveries(conn, rows)
    # A row that was there already keeps the events it was written with.
    await record_covered_events(conn, {d: e for d, e in covered.items() if d in new})
    return len(new)


class RunLookups:
    """What the events of a run read, read once per run: the replicas of their cohorts and
    applications, and the staff directory. Events of these runs change none of what is read
    here (arrivals write applicants they do not read, decisions their status, enrollment
    changes seat counts that their mails take from the events), so each event still sees what
    it would alone; and a missing replica is refused as the one-by-one handler refuses it."""

    def __init__(
        self,
        conn: DbConnection,
        cohorts: Mapping[str, CohortReplica],
        applicants: Mapping[str, ApplicantReplica],
    ) -> None:
        self._conn = conn
        self._cohorts = cohorts
        self._applicants = applicants
        self._directory: list[StaffMember] | None = None

    @classmethod
    async def load(
        cls,
        conn: DbConnection,
        cohort_codes: Iterable[str],
        application_ids: Iterable[str] = (),
    ) -> RunLookups:
        """One query for the cohorts, one for the applications (none when there are none)."""
        cohorts = await replicas.cohorts_by_code(conn, list(cohort_codes))
        ids = list(application_ids)
        applicants = await replicas.applicants(conn, ids) if ids else {}
        return cls(conn, cohorts, applicants)

    def cohort(self, cohort_code: str) -> CohortReplica:
        """The replica (`RetryLater` while the catalog lags, as `mailing.cohort_replica`)."""
        return require_cohort(self._cohorts.get(cohort_code), cohort_code)

    def replicated_applicant(self, application_id: str) -> ApplicantReplica:
        """As `mailing.applicant_replica` (`RetryLater` while the lifecycle topic lags)."""
        return require_replicated(self._applicants.get(application_id), application_id)

    def received_applicant(self, application_id: str) -> ApplicantReplica:
        """As `mailing.received_applicant` (`RejectedEvent`: it will never arrive)."""
        return require_received(self._applicants.get(application_id), application_id)

    async def staff(self, kind: MailKind, cohort: CohortReplica) -> list[Contact]:
        """As `mailing.staff_for`, from the directory read once."""
        if self._directory is None:
            self._directory = await directory.staff_directory(self._conn)
        return staff_recipients(
            kind,
            cohort.program_code,
            cohort_managers=cohort.program_managers,
            directory=self._directory,
        )
