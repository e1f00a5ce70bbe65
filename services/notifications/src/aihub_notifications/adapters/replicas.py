"""SQL of the replicas: cohorts (with their seats taken) and applicants. `ON CONFLICT ... WHERE`
keeps the stored row when the incoming event is older; with equal times the later-arriving event
wins (Kafka keeps one key's events in order)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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


@dataclasses.dataclass(frozen=True)
class SeatsCount:
    """What an enrollment event says of its cohort's seats after the change."""

    cohort_code: str
    seats: int
    seats_taken: int
    event_time: datetime


async def update_seats_taken(
    conn: DbConnection, cohort_code: str, *, seats: int, seats_taken: int, event_time: datetime
) -> None:
    """From an enrollment event: the newest count wins (enrollment events carry the cohort's
    count after the change)."""
    await count_seats(conn, [SeatsCount(cohort_code, seats, seats_taken, event_time)])


# The counts of a run, in one statement, as if applied one by one in their order: an event is
# applied when it is no older than the stored time and every earlier event of its cohort (the
# time stored before it is the greatest of those); the cohort keeps the last applied count and
# time, and its seats (if it had none) from the first applied. A cohort not in the replica
# stays absent, as one UPDATE each would leave it.
_COUNT_SEATS = (
    "WITH run AS (SELECT r.*, max(r.event_time) OVER (PARTITION BY r.cohort_code ORDER BY r.ord"
    "   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier"
    "  FROM unnest($1::text[], $2::int[], $3::int[], $4::timestamptz[]) WITH ORDINALITY"
    "  AS r(cohort_code, seats, seats_taken, event_time, ord)),"
    " applied AS (SELECT run.* FROM run JOIN cohorts c USING (cohort_code)"
    "  WHERE (c.seats_event_time IS NULL OR c.seats_event_time <= run.event_time)"
    "  AND (run.earlier IS NULL OR run.earlier <= run.event_time)),"
    " counted AS (SELECT cohort_code,"
    "  (array_agg(seats_taken ORDER BY ord DESC))[1] AS seats_taken,"
    "  (array_agg(event_time ORDER BY ord DESC))[1] AS event_time,"
    "  (array_agg(seats ORDER BY ord))[1] AS seats"
    "  FROM applied GROUP BY cohort_code)"
    " UPDATE cohorts SET seats_taken = counted.seats_taken,"
    " seats = coalesce(cohorts.seats, counted.seats),"
    " seats_event_time = counted.event_time, updated_at = now()"
    " FROM counted WHERE cohorts.cohort_code = counted.cohort_code"
    # As each one-by-one UPDATE guards it (checked again on the newest row version).
    " AND (cohorts.seats_event_time IS NULL OR cohorts.seats_event_time <= counted.event_time)"
)


async def count_seats(conn: DbConnection, counts: Sequence[SeatsCount]) -> None:
    """The seat counts of a run of enrollment events, in their order (see `_COUNT_SEATS`)."""
    if not counts:
        return
    await conn.execute(
        _COUNT_SEATS,
        [c.cohort_code for c in counts],
        [c.seats for c in counts],
        [c.seats_taken for c in counts],
        [c.event_time for c in counts],
    )


async def cohort(conn: DbConnection, cohort_code: str) -> CohortReplica | None:
    row = await conn.fetchrow("SELECT * FROM cohorts WHERE cohort_code = $1", cohort_code)
    return _cohort_of(row) if row is not None else None


async def cohorts_by_code(
    conn: DbConnection, cohort_codes: Sequence[str]
) -> dict[str, CohortReplica]:
    """The replicas of those cohorts that have one."""
    rows = await conn.fetch(
        "SELECT * FROM cohorts WHERE cohort_code = ANY($1::text[])", sorted(set(cohort_codes))
    )
    return {row["cohort_code"]: _cohort_of(row) for row in rows}


@dataclasses.dataclass(frozen=True)
class ReceivedApplicant:
    """An `application.received` as the applicant replica takes it."""

    applicant: ApplicantReplica
    event_id: str
    event_time: datetime


# A run of arrivals in one statement, as if upserted one by one in their order: per application
# the last of its newest events (what the guard leaves after them all), `received_at` the time
# of its first (the one that would have inserted the row; an update keeps it).
_UPSERT_APPLICANTS = (
    "INSERT INTO applicants (application_id, program_code, cohort_code, startup_name,"
    " contact_name, contact_email, contact_locale, event_id, event_time, received_at)"
    " SELECT DISTINCT ON (a.application_id) a.application_id, a.program_code, a.cohort_code,"
    " a.startup_name, a.contact_name, a.contact_email, a.contact_locale, a.event_id,"
    " a.event_time,"
    " first_value(a.event_time) OVER (PARTITION BY a.application_id ORDER BY a.ord)"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
    " $7::text[], $8::text[], $9::timestamptz[]) WITH ORDINALITY AS a(application_id,"
    " program_code, cohort_code, startup_name, contact_name, contact_email, contact_locale,"
    " event_id, event_time, ord)"
    " ORDER BY a.application_id, a.event_time DESC, a.ord DESC"
    " ON CONFLICT (application_id) DO UPDATE SET program_code = EXCLUDED.program_code,"
    " cohort_code = EXCLUDED.cohort_code, startup_name = EXCLUDED.startup_name,"
    " contact_name = EXCLUDED.contact_name, contact_email = EXCLUDED.contact_email,"
    " contact_locale = EXCLUDED.contact_locale, event_id = EXCLUDED.event_id,"
    " event_time = EXCLUDED.event_time, updated_at = now()"
    " WHERE applicants.event_time <= EXCLUDED.event_time"
    " RETURNING application_id"
)


async def upsert_applicants(conn: DbConnection, received: Sequence[ReceivedApplicant]) -> set[str]:
    """Replicate a run of arrivals (see `_UPSERT_APPLICANTS`); the applications whose row now
    holds one of them (not those a newer event got to first)."""
    if not received:
        return set()
    rows = await conn.fetch(
        _UPSERT_APPLICANTS,
        [r.applicant.application_id for r in received],
        [r.applicant.program_code for r in received],
        [r.applicant.cohort_code for r in received],
        [r.applicant.startup_name for r in received],
        [r.applicant.contact.name for r in received],
        [str(r.applicant.contact.email) for r in received],
        [r.applicant.contact.locale for r in received],
        [r.event_id for r in received],
        [r.event_time for r in received],
    )
    return {row["application_id"] for row in rows}


@dataclasses.dataclass(frozen=True)
class StatusChange:
    """accepted / rejected / withdrawn / received (an upheld appeal), at the event's time."""

    application_id: str
    status: str
    at: datetime


async def set_applicant_status(
    conn: DbConnection, application_id: str, status: str, *, at: datetime
) -> None:
    """accepted / rejected / withdrawn: the application leaves review (for the digest)."""
    await set_applicant_statuses(conn, [StatusChange(application_id, status, at)])


async def set_applicant_statuses(conn: DbConnection, changes: Sequence[StatusChange]) -> None:
    """A run's status changes in one statement, as if one by one in their order: per
    application the last of its newest changes, unless the stored decision is newer."""
    if not changes:
        return
    await conn.execute(
        "UPDATE applicants SET status = c.status, decided_at = c.at, updated_at = now()"
        " FROM (SELECT DISTINCT ON (u.application_id) u.application_id, u.status, u.at"
        "  FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY"
        "  AS u(application_id, status, at, ord)"
        "  ORDER BY u.application_id, u.at DESC, u.ord DESC) AS c"
        " WHERE applicants.application_id = c.application_id"
        " AND (applicants.decided_at IS NULL OR applicants.decided_at <= c.at)",
        [c.application_id for c in changes],
        [c.status for c in changes],
        [c.at for c in changes],
    )


def _applicant_of(row: asyncpg.Record) -> ApplicantReplica:
    return ApplicantReplica(
        application_id=row["application_id"],
        program_code=row["program_code"],
        cohort_code=row["cohort_code"],
        startup_name=row["startup_name"],
        contact=Contact(
            name=row["contact_name"], email=row["contact_email"], locale=row["contact_locale"]
        ),
    )


async def applicant(conn: DbConnection, application_id: str) -> ApplicantReplica | None:
    row = await conn.fetchrow("SELECT * FROM applicants WHERE application_id = $1", application_id)
    return _applicant_of(row) if row is not None else None


async def applicants(
    conn: DbConnection, application_ids: Sequence[str]
) -> dict[str, ApplicantReplica]:
    """The replicas of those applications that have one."""
    rows = await conn.fetch(
        "SELECT * FROM applicants WHERE application_id = ANY($1::text[])",
        sorted(set(application_ids)),
    )
    return {row["application_id"]: _applicant_of(row) for row in rows}


async def managed_programs(pool: asyncpg.Pool, email: str) -> frozenset[str]:
    """The programs whose cohorts list `email` (lower case) among their program managers."""
    rows = await pool.fetch(
        "SELECT DISTINCT program_code FROM cohorts, jsonb_array_elements(program_managers) AS m"
        " WHERE lower(m->>'email') = $1",
        email,
    )
    return frozenset(str(row["program_code"]) for row in rows)
