"""SQL of the replicas: cohorts (with their seats taken) and applicants. `ON CONFLICT ... WHERE`
keeps the stored row when the incoming event is older; with equal times the later-arriving event
wins (Kafka keeps one key's events in order)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import asyncpg

from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica, ReviewStageName
from aihub_shared.contracts.values import Contact
from aihub_shared.runtime.db import DbConnection


async def upsert_cohort(
    conn: DbConnection,
    cohort: CohortReplica,
    *,
    event_id: str,
    event_time: datetime,
    snapshot: bool = False,
) -> bool:
    """True if the row now holds this event's state (False: a newer event got there first). A
    snapshot (`aihub-programs republish`) replaces the row whatever its time."""
    applied = await conn.fetchval(
        "INSERT INTO cohorts (cohort_code, program_code, program_name_ko, program_name_en,"
        " partner, starts_on, ends_on, program_managers, event_id, event_time, seats,"
        " review_stages)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (cohort_code) DO UPDATE SET program_code = EXCLUDED.program_code,"
        " program_name_ko = EXCLUDED.program_name_ko, program_name_en = EXCLUDED.program_name_en,"
        " partner = EXCLUDED.partner, starts_on = EXCLUDED.starts_on,"
        " ends_on = EXCLUDED.ends_on, program_managers = EXCLUDED.program_managers,"
        " event_id = EXCLUDED.event_id, event_time = EXCLUDED.event_time, seats = EXCLUDED.seats,"
        " review_stages = EXCLUDED.review_stages, updated_at = now()"
        " WHERE cohorts.event_time <= EXCLUDED.event_time OR $13"
        " RETURNING true",
        cohort.cohort_code,
        cohort.program_code,
        cohort.program_name_ko,
        cohort.program_name_en,
        cohort.partner,
        cohort.starts_on,
        cohort.ends_on,
        [m.model_dump(mode="json") for m in cohort.program_managers],
        event_id,
        event_time,
        cohort.seats,
        [dataclasses.asdict(stage) for stage in cohort.review_stages],
        snapshot,
    )
    return bool(applied)


def _cohort_of(row: asyncpg.Record) -> CohortReplica:
    return CohortReplica(
        cohort_code=row["cohort_code"],
        program_code=row["program_code"],
        program_name_ko=row["program_name_ko"],
        program_name_en=row["program_name_en"],
        partner=row["partner"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        program_managers=tuple(Contact.model_validate(m) for m in row["program_managers"]),
        seats=row["seats"],
        seats_taken=row["seats_taken"],
        review_stages=tuple(ReviewStageName(**stage) for stage in row["review_stages"]),
    )


async def cohorts(conn: DbConnection) -> list[CohortReplica]:
    rows = await conn.fetch("SELECT * FROM cohorts ORDER BY program_code, cohort_code")
    return [_cohort_of(r) for r in rows]


async def update_seats_taken(
    conn: DbConnection, cohort_code: str, *, seats: int, seats_taken: int, event_time: datetime
) -> None:
    """From an enrollment event: the newest count wins (enrollment events carry the cohort's
    count after the change)."""
    await conn.execute(
        "UPDATE cohorts SET seats_taken = $2, seats = coalesce(seats, $3),"
        " seats_event_time = $4, updated_at = now()"
        " WHERE cohort_code = $1 AND (seats_event_time IS NULL OR seats_event_time <= $4)",
        cohort_code,
        seats_taken,
        seats,
        event_time,
    )


async def cohort(conn: DbConnection, cohort_code: str) -> CohortReplica | None:
    row = await conn.fetchrow("SELECT * FROM cohorts WHERE cohort_code = $1", cohort_code)
    return _cohort_of(row) if row is not None else None


async def upsert_applicant(
    conn: DbConnection, applicant: ApplicantReplica, *, event_id: str, event_time: datetime
) -> bool:
    applied = await conn.fetchval(
        "INSERT INTO applicants (application_id, program_code, cohort_code, startup_name,"
        " contact_name, contact_email, contact_locale, event_id, event_time, received_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
        " ON CONFLICT (application_id) DO UPDATE SET program_code = EXCLUDED.program_code,"
        " cohort_code = EXCLUDED.cohort_code, startup_name = EXCLUDED.startup_name,"
        " contact_name = EXCLUDED.contact_name, contact_email = EXCLUDED.contact_email,"
        " contact_locale = EXCLUDED.contact_locale, event_id = EXCLUDED.event_id,"
        " event_time = EXCLUDED.event_time, updated_at = now()"
        " WHERE applicants.event_time <= EXCLUDED.event_time"
        " RETURNING true",
        applicant.application_id,
        applicant.program_code,
        applicant.cohort_code,
        applicant.startup_name,
        applicant.contact.name,
        str(applicant.contact.email),
        applicant.contact.locale,
        event_id,
        event_time,
    )
    return bool(applied)


async def set_applicant_status(
    conn: DbConnection, application_id: str, status: str, *, at: datetime
) -> None:
    """accepted / rejected / withdrawn: the application leaves review (for the digest)."""
    await conn.execute(
        "UPDATE applicants SET status = $2, decided_at = $3, updated_at = now()"
        " WHERE application_id = $1 AND (decided_at IS NULL OR decided_at <= $3)",
        application_id,
        status,
        at,
    )


async def applicant(conn: DbConnection, application_id: str) -> ApplicantReplica | None:
    row = await conn.fetchrow("SELECT * FROM applicants WHERE application_id = $1", application_id)
    if row is None:
        return None
    return ApplicantReplica(
        application_id=row["application_id"],
        program_code=row["program_code"],
        cohort_code=row["cohort_code"],
        startup_name=row["startup_name"],
        contact=Contact(
            name=row["contact_name"], email=row["contact_email"], locale=row["contact_locale"]
        ),
    )


async def managed_programs(pool: asyncpg.Pool, email: str) -> frozenset[str]:
    """The programs whose cohorts list `email` (lower case) among their program managers."""
    rows = await pool.fetch(
        "SELECT DISTINCT program_code FROM cohorts, jsonb_array_elements(program_managers) AS m"
        " WHERE lower(m->>'email') = $1",
        email,
    )
    return frozenset(str(row["program_code"]) for row in rows)
