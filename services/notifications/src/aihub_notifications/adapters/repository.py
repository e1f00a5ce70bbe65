"""SQL for the notifications schema: the replicas and the deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.values import Contact
from aihub_shared.runtime.db import DbConnection

# ---------------------------------------------------------------------------------------------
# Replicas. `ON CONFLICT ... WHERE` keeps the stored row when the incoming event is older; with
# equal times the later-arriving event wins (Kafka keeps one key's events in order).


async def upsert_cohort(
    conn: DbConnection, cohort: CohortReplica, *, event_id: str, event_time: datetime
) -> bool:
    """True if the row now holds this event's state (False: a newer event got there first)."""
    applied = await conn.fetchval(
        "INSERT INTO cohorts (cohort_code, program_code, program_name_ko, program_name_en,"
        " partner, starts_on, ends_on, program_managers, event_id, event_time, seats)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (cohort_code) DO UPDATE SET program_code = EXCLUDED.program_code,"
        " program_name_ko = EXCLUDED.program_name_ko, program_name_en = EXCLUDED.program_name_en,"
        " partner = EXCLUDED.partner, starts_on = EXCLUDED.starts_on,"
        " ends_on = EXCLUDED.ends_on, program_managers = EXCLUDED.program_managers,"
        " event_id = EXCLUDED.event_id, event_time = EXCLUDED.event_time, seats = EXCLUDED.seats,"
        " updated_at = now()"
        " WHERE cohorts.event_time <= EXCLUDED.event_time"
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


async def add_review_assignment(
    conn: DbConnection,
    *,
    application_id: str,
    stage_code: str,
    reviewer_email: str,
    program_code: str,
    cohort_code: str,
    due_at: datetime | None,
    assigned_at: datetime,
    replaces_email: str | None,
) -> None:
    if replaces_email is not None:
        await conn.execute(
            "DELETE FROM review_assignments WHERE application_id = $1 AND stage_code = $2"
            " AND reviewer_email = $3",
            application_id,
            stage_code,
            replaces_email.lower(),
        )
    await conn.execute(
        "INSERT INTO review_assignments (application_id, stage_code, reviewer_email,"
        " program_code, cohort_code, due_at, assigned_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT DO NOTHING",
        application_id,
        stage_code,
        reviewer_email.lower(),
        program_code,
        cohort_code,
        due_at,
        assigned_at,
    )


async def mark_review_submitted(
    conn: DbConnection,
    *,
    application_id: str,
    stage_code: str,
    reviewer_email: str,
    program_code: str,
    cohort_code: str,
    submitted_at: datetime,
) -> None:
    """The assignment is no longer pending. Its `review.assigned` precedes it on the cohort's
    partition; should it be missing (dead-lettered), the row is made here, already submitted,
    so the count stays right. A repeat keeps the first time."""
    await conn.execute(
        "INSERT INTO review_assignments (application_id, stage_code, reviewer_email,"
        " program_code, cohort_code, assigned_at, submitted_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $6)"
        " ON CONFLICT (application_id, stage_code, reviewer_email) DO UPDATE"
        " SET submitted_at = coalesce(review_assignments.submitted_at, EXCLUDED.submitted_at)",
        application_id,
        stage_code,
        reviewer_email.lower(),
        program_code,
        cohort_code,
        submitted_at,
    )


async def close_review_stage(
    conn: DbConnection, application_id: str, stage_code: str, *, at: datetime
) -> None:
    """The application left `stage_code`: its assignments there are no longer pending."""
    await conn.execute(
        "UPDATE review_assignments SET stage_closed_at = $3"
        " WHERE application_id = $1 AND stage_code = $2 AND stage_closed_at IS NULL",
        application_id,
        stage_code,
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


# ---------------------------------------------------------------------------------------------
# Deliveries.


@dataclass(frozen=True)
class NewDelivery:
    id: uuid.UUID
    event_id: str
    event_type: str
    correlation_id: str | None
    template: str
    locale: str
    recipient: str
    recipient_name: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    program_code: str | None = None
    resend_of: uuid.UUID | None = None
    requested_by: str | None = None


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    event_id: str
    correlation_id: str | None
    template: str
    locale: str
    recipient: str
    recipient_name: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    attempts: int


async def insert_deliveries(
    conn: DbConnection, deliveries: Sequence[NewDelivery]
) -> set[uuid.UUID]:
    """Queue e-mails; those already queued for the same (event, recipient, template) are left
    as they are. Returns the ids of the new ones."""
    if not deliveries:
        return set()
    rows = await conn.fetch(
        "INSERT INTO deliveries (id, event_id, event_type, correlation_id, template, locale,"
        " recipient, recipient_name, subject, body_text, body_html, message_id, program_code,"
        " resend_of, requested_by)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
        " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
        " $13::text[], $14::uuid[], $15::text[])"
        " ON CONFLICT DO NOTHING RETURNING id",
        [d.id for d in deliveries],
        [d.event_id for d in deliveries],
        [d.event_type for d in deliveries],
        [d.correlation_id for d in deliveries],
        [d.template for d in deliveries],
        [d.locale for d in deliveries],
        [d.recipient for d in deliveries],
        [d.recipient_name for d in deliveries],
        [d.subject for d in deliveries],
        [d.body_text for d in deliveries],
        [d.body_html for d in deliveries],
        [d.message_id for d in deliveries],
        [d.program_code for d in deliveries],
        [d.resend_of for d in deliveries],
        [d.requested_by for d in deliveries],
    )
    return {r["id"] for r in rows}


_DUE = "status = 'pending' AND next_attempt_at <= now()"


async def lock_due(
    conn: DbConnection, *, limit: int, among: Sequence[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Row-lock up to `limit` due pending deliveries, oldest due first, skipping those another
    sender holds. With `among`, only those (to keep the rest of a batch claimed). Call inside a
    transaction: the locks last until it ends. `NO KEY UPDATE`, so that an attempt row can be
    written for a locked delivery from another connection (its foreign key check takes
    `KEY SHARE`, which `FOR UPDATE` would block)."""
    if among is None:
        rows = await conn.fetch(
            f"SELECT id FROM deliveries WHERE {_DUE}"  # noqa: S608 — constant SQL text
            " ORDER BY next_attempt_at, created_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED",
            limit,
        )
    else:
        rows = await conn.fetch(
            f"SELECT id FROM deliveries WHERE {_DUE} AND id = ANY($2::uuid[])"  # noqa: S608
            " ORDER BY next_attempt_at, created_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED",
            limit,
            list(among),
        )
    return [r["id"] for r in rows]


async def delivery(conn: DbConnection, delivery_id: uuid.UUID) -> Delivery | None:
    row = await conn.fetchrow(
        "SELECT id, event_id, correlation_id, template, locale, recipient, recipient_name,"
        " subject, body_text, body_html, message_id, attempts FROM deliveries WHERE id = $1",
        delivery_id,
    )
    return Delivery(**dict(row)) if row is not None else None


async def mark_sent(conn: DbConnection, delivery_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1,"
        " last_error = NULL, updated_at = now() WHERE id = $1",
        delivery_id,
    )


async def mark_retry(
    conn: DbConnection, delivery_id: uuid.UUID, *, error: str, delay_seconds: float
) -> None:
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, last_error = $2,"
        " next_attempt_at = now() + make_interval(secs => $3), updated_at = now()"
        " WHERE id = $1",
        delivery_id,
        error,
        delay_seconds,
    )


async def mark_failed(conn: DbConnection, delivery_id: uuid.UUID, *, error: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'failed', failed_at = now(), attempts = attempts + 1,"
        " last_error = $2, updated_at = now() WHERE id = $1",
        delivery_id,
        error,
    )


async def deliveries_for_event(conn: DbConnection, event_id: str) -> list[dict[str, Any]]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM deliveries WHERE event_id = $1 ORDER BY template, recipient", event_id
    )
    return [dict(r) for r in rows]


# ---------------------------------------------------------------------------------------------
# Attempts.


async def start_attempt(conn: DbConnection, delivery_id: uuid.UUID) -> int:
    """Record that an SMTP conversation for the delivery starts now; commit it before talking."""
    attempt: int = await conn.fetchval(
        "INSERT INTO delivery_attempts (delivery_id) VALUES ($1) RETURNING id", delivery_id
    )
    return attempt


async def close_interrupted_attempts(conn: DbConnection, delivery_id: uuid.UUID) -> int:
    """Attempts still open when the delivery is picked up again: a crash ended them, maybe after
    the server took the message. Returns how many."""
    rows = await conn.fetch(
        "UPDATE delivery_attempts SET outcome = 'interrupted', finished_at = now()"
        " WHERE delivery_id = $1 AND outcome IS NULL RETURNING id",
        delivery_id,
    )
    return len(rows)


async def finish_attempt(
    conn: DbConnection, attempt_id: int, *, outcome: str, error: str | None = None
) -> None:
    await conn.execute(
        "UPDATE delivery_attempts SET outcome = $2, error = $3, finished_at = now() WHERE id = $1",
        attempt_id,
        outcome,
        error,
    )
