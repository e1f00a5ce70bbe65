"""Keeping the replicas of other services' state current, one event at a time."""

from __future__ import annotations

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
    applied = await replicas.upsert_applicant(
        conn,
        ApplicantReplica.of(data),
        event_id=event.id,
        event_time=event.time,
    )
    log.info("applicant replica", application_id=data.application_id, applied=applied)
