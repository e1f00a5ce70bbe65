"""Keeping the replicas of other services' state current, one event at a time."""

from __future__ import annotations

import structlog

from aihub_notifications.adapters import replicas
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.applications import ApplicationReceived
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.runtime.db import DbConnection

log = structlog.get_logger(__name__)


async def replicate_cohort(conn: DbConnection, event: CloudEvent, data: CohortPublished) -> None:
    """`cohort.published` carries the cohort's whole state: take it unless ours is newer."""
    applied = await replicas.upsert_cohort(
        conn,
        CohortReplica(
            cohort_code=data.cohort_code,
            program_code=data.program_code,
            program_name_ko=data.program_name_ko,
            program_name_en=data.program_name_en,
            partner=data.partner,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            program_managers=tuple(data.program_managers),
            seats=data.seats,
        ),
        event_id=event.id,
        event_time=event.time,
    )
    log.info("cohort replica", cohort=data.cohort_code, applied=applied)


async def replicate_applicant(
    conn: DbConnection, event: CloudEvent, data: ApplicationReceived
) -> None:
    applied = await replicas.upsert_applicant(
        conn,
        ApplicantReplica(
            application_id=data.application_id,
            program_code=data.program_code,
            cohort_code=data.cohort_code,
            startup_name=data.startup_name,
            contact=data.contact,
        ),
        event_id=event.id,
        event_time=event.time,
    )
    log.info("applicant replica", application_id=data.application_id, applied=applied)
