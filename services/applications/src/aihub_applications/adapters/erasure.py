"""SQL for erasing a person from this schema, and the erasure requests with their confirmations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aihub_shared.contracts.privacy import RetentionPeriods
from aihub_shared.privacy import ERASED, hashed_brn
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class ErasureRecord:
    requested_by: str
    request_id: str
    application_ids: list[str]
    email_sha256: str | None
    requested_at: datetime
    confirmations: dict[str, Any]
    completed_at: datetime | None


async def applications_of(
    conn: DbConnection, email: str | None, application_ids: list[str]
) -> list[uuid.UUID]:
    """The applications the person is the contact of, or that the request names, under lock."""
    rows = await conn.fetch(
        "SELECT id FROM applications"
        " WHERE id = ANY($1::uuid[])"
        " OR ($2::text IS NOT NULL"
        "     AND lower(submission -> 'contact' ->> 'email') = lower($2::text))"
        " ORDER BY id FOR UPDATE",
        application_ids,
        email,
    )
    return [row["id"] for row in rows]


async def contact_addresses(conn: DbConnection, ids: list[uuid.UUID]) -> list[str]:
    """The addresses as submitted (events carry them so) and in lower case."""
    rows = await conn.fetch(
        "SELECT DISTINCT submission -> 'contact' ->> 'email' AS email FROM applications"
        " WHERE id = ANY($1) AND submission -> 'contact' ->> 'email' IS NOT NULL",
        ids,
    )
    return sorted({e for row in rows for e in (row["email"], row["email"].lower())})


async def anonymise(
    conn: DbConnection, ids: list[uuid.UUID], addresses: list[str]
) -> dict[str, int]:
    """Names replaced, free text removed, the registration number hashed; statuses, scores,
    ranks, the consent record and the history's shape stay (the hub's numbers keep adding up)."""
    brns = await conn.fetch(
        "SELECT id, business_registration_number FROM applications WHERE id = ANY($1)", ids
    )
    await conn.executemany(
        "UPDATE applications SET business_registration_number = $2 WHERE id = $1",
        [(row["id"], hashed_brn(row["business_registration_number"])) for row in brns],
    )
    applications = await conn.execute(
        "UPDATE applications SET startup_name = $2::text,"
        " submission = jsonb_build_object('submission_id', submission -> 'submission_id',"
        "   'program_code', program_code, 'cohort_code', cohort_code, 'erased', true),"
        " refusals = (SELECT coalesce(jsonb_agg(jsonb_build_object('code', r -> 'code',"
        "   'message', $2::text)), '[]') FROM jsonb_array_elements(refusals) AS r),"
        " erased_at = coalesce(erased_at, now()), updated_at = now()"
        " WHERE id = ANY($1)",
        ids,
        ERASED,
    )
    history = await conn.execute(
        "UPDATE application_history SET reason = $2::text,"
        " actor = CASE WHEN lower(actor) = ANY($3::text[]) THEN $2::text ELSE actor END"
        " WHERE application_id = ANY($1)",
        ids,
        ERASED,
        addresses,
    )
    reviews = await conn.execute(
        "UPDATE review_assignments SET comment = NULL, conflict_reason = NULL"
        " WHERE application_id = ANY($1) AND (comment IS NOT NULL OR conflict_reason IS NOT NULL)",
        ids,
    )
    # An appeal's or a challenge's reasons are the applicant's (and the manager's) words about
    # them; the outcome and its time stay, like the history's shape.
    appeals = await conn.execute(
        "UPDATE appeals SET reason = $2::text,"
        " decision_reason = CASE WHEN decision_reason IS NULL THEN NULL ELSE $2::text END"
        " WHERE application_id = ANY($1)",
        ids,
        ERASED,
    )
    challenges = await conn.execute(
        "UPDATE review_challenges SET reason = $2::text,"
        " decision_reason = CASE WHEN decision_reason IS NULL THEN NULL ELSE $2::text END"
        " WHERE application_id = ANY($1)",
        ids,
        ERASED,
    )
    # A bonus grant's reason is a manager's words about the founder ("born 1995"); the item
    # and its points stay, as the ranking they moved does.
    bonus = await conn.execute(
        "UPDATE bonus_grants SET reason = $2::text WHERE application_id = ANY($1)", ids, ERASED
    )
    return {
        "applications": _count(applications),
        "history_entries": _count(history),
        "review_comments": _count(reviews),
        "appeals": _count(appeals),
        "challenges": _count(challenges),
        "bonus_reasons": _count(bonus),
    }


def _count(status: str) -> int:
    return int(status.split()[-1])


async def find(conn: DbConnection, requested_by: str, request_id: str) -> ErasureRecord | None:
    row = await conn.fetchrow(
        "SELECT * FROM erasures WHERE requested_by = $1 AND request_id = $2 FOR UPDATE",
        requested_by,
        request_id,
    )
    return ErasureRecord(**dict(row)) if row is not None else None


async def insert(
    conn: DbConnection,
    *,
    requested_by: str,
    request_id: str,
    application_ids: list[str],
    email_sha256: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO erasures (requested_by, request_id, application_ids, email_sha256)"
        " VALUES ($1, $2, $3, $4)",
        requested_by,
        request_id,
        application_ids,
        email_sha256,
    )


async def confirm(
    conn: DbConnection, requested_by: str, request_id: str, service: str, what: dict[str, Any]
) -> None:
    await conn.execute(
        "UPDATE erasures"
        " SET confirmations = confirmations || jsonb_build_object($3::text, $4::jsonb)"
        " WHERE requested_by = $1 AND request_id = $2",
        requested_by,
        request_id,
        service,
        what,
    )


async def complete(conn: DbConnection, requested_by: str, request_id: str) -> datetime:
    completed: datetime = await conn.fetchval(
        "UPDATE erasures SET completed_at = now() WHERE requested_by = $1 AND request_id = $2"
        " RETURNING completed_at",
        requested_by,
        request_id,
    )
    return completed


async def retention_candidates(
    conn: DbConnection, today: date, selected: list[str], limit: int
) -> list[uuid.UUID]:
    """Applications not yet erased whose cohort's period for them (the selected one when their
    status is in `selected`, else the other) ended before `today`."""
    rows = await conn.fetch(
        "SELECT a.id FROM applications a"
        " JOIN cohorts c USING (cohort_code)"
        " WHERE a.erased_at IS NULL AND c.ends_on IS NOT NULL AND c.ends_on + CASE"
        "   WHEN a.status = ANY($3::text[])"
        "   THEN coalesce((c.retention ->> 'selected_days')::int, $4)"
        "   ELSE coalesce((c.retention ->> 'not_selected_days')::int, $5) END < $1"
        " ORDER BY c.ends_on, a.id LIMIT $2",
        today,
        limit,
        selected,
        RetentionPeriods().selected_days,
        RetentionPeriods().not_selected_days,
    )
    return [r["id"] for r in rows]
