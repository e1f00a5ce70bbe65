"""Keeping the replicas of other services' state current."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from aihub_notifications.adapters import replicas
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.applications import ApplicationReceived
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.event_clock import refuse_future_event

log = structlog.get_logger(__name__)


async def replicate_cohort(conn: DbConnection, event: CloudEvent, data: CohortPublished) -> None:
    """`cohort.published` carries the cohort's whole state: take it unless ours is newer (or it
    is a snapshot, the programs service's current state); refuse one stamped in the future."""
    refuse_future_event(event)
    applied = await replicas.upsert_cohort(
        conn,
        CohortReplica.of(data),
        event_id=event.id,
        event_time=event.time,
        snapshot=data.snapshot,
    )
    log.info("cohort replica", cohort=data.cohort_code, applied=applied)


async def replicate_applicant(
    conn: DbConnection, event: CloudEvent, data: ApplicationReceived
) -> None:
    await replicate_applicants(conn, [(event, data)])


async def replicate_applicants(
    conn: DbConnection, arrivals: Sequence[tuple[CloudEvent, ApplicationReceived]]
) -> None:
    """A run of arrivals in one statement, with the effect of one upsert each in their order
    (`replicas.upsert_applicants`)."""
    if not arrivals:
        return
    applied = await replicas.upsert_applicants(
        conn,
        [
            replicas.ReceivedApplicant(ApplicantReplica.of(data), event.id, event.time)
            for event, data in arrivals
        ],
    )
    # One line per run, not per arrival (each arrival's record is its row).
    if len(arrivals) == 1:
        log.info(
            "applicant replica", application_id=arrivals[0][1].application_id, applied=bool(applied)
        )
    else:
        log.info("applicant replicas", arrivals=len(arrivals), applied=len(applied))
