"""SQL of the reviewer reminders: the open assignments due soon, and the record of each reminder
sent (whose key makes it once per assignment and offset)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aihub_notifications.domain.reminders import OpenAssignment
from aihub_shared.runtime.db import DbConnection

#: An assignment is open while unscored, its stage open for the application, the application
#: undecided and not erased (an erased applicant's assignments are nobody's business any more),
#: and its reviewer not under an open challenge there (paused until the manager decides).
_OPEN = (
    "r.submitted_at IS NULL AND r.stage_closed_at IS NULL AND r.due_at IS NOT NULL"
    " AND a.status = 'received' AND a.erased_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM review_challenges c WHERE c.status = 'open'"
    "   AND c.application_id = r.application_id AND c.stage_code = r.stage_code"
    "   AND c.reviewer_email = r.reviewer_email)"
)


@dataclass(frozen=True)
class Candidate:
    assignment: OpenAssignment
    sent: frozenset[timedelta]


async def due_within(conn: DbConnection, now: datetime, horizon: timedelta) -> list[Candidate]:
    """Open assignments not due yet whose due time is at most `horizon` away, with the offsets
    already reminded. The label is a blind stage's anonymous label, else the startup's name,
    or None for rows older than the labels (`blind` unknown)."""
    rows = await conn.fetch(
        "SELECT r.application_id, r.stage_code, r.reviewer_email, r.reviewer_name,"  # noqa: S608 - constants
        " r.program_code, r.cohort_code, r.due_at, r.assigned_at,"
        " CASE WHEN r.blind THEN r.anonymous_label"
        "      WHEN NOT r.blind THEN a.startup_name END AS label,"
        " ARRAY(SELECT m.offset_seconds FROM review_reminders m"
        "       WHERE m.application_id = r.application_id AND m.stage_code = r.stage_code"
        "       AND m.reviewer_email = r.reviewer_email) AS sent"
        " FROM review_assignments r JOIN applicants a ON a.application_id = r.application_id"
        f" WHERE {_OPEN} AND r.due_at > $1 AND r.due_at <= $1 + $2::interval"
        " ORDER BY r.due_at, r.application_id, r.stage_code, r.reviewer_email",
        now,
        horizon,
    )
    return [
        Candidate(
            OpenAssignment(
                application_id=r["application_id"],
                stage_code=r["stage_code"],
                reviewer_email=r["reviewer_email"],
                # Rows older than the names: the address's local part is all we know.
                reviewer_name=r["reviewer_name"] or r["reviewer_email"].partition("@")[0],
                program_code=r["program_code"],
                cohort_code=r["cohort_code"],
                due_at=r["due_at"],
                assigned_at=r["assigned_at"],
                label=r["label"],
            ),
            frozenset(timedelta(seconds=s) for s in r["sent"]),
        )
        for r in rows
    ]


async def lock_if_open(conn: DbConnection, assignment: OpenAssignment) -> bool:
    """Lock the assignment if it is still open with the same due time: a `review.submitted`
    (or a withdrawal) committed since the scan wins, one arriving now waits for the reminder's
    transaction."""
    found = await conn.fetchval(
        "SELECT true FROM review_assignments r JOIN applicants a"  # noqa: S608 - constants
        " ON a.application_id = r.application_id"
        " WHERE r.application_id = $1 AND r.stage_code = $2 AND r.reviewer_email = $3"
        f" AND r.due_at = $4 AND {_OPEN} FOR UPDATE OF r",
        assignment.application_id,
        assignment.stage_code,
        assignment.reviewer_email,
        assignment.due_at,
    )
    return bool(found)


async def record_reminder(
    conn: DbConnection, assignment: OpenAssignment, offset: timedelta, event_id: str
) -> bool:
    """True if this (assignment, offset) had no reminder yet: the caller then sends it, in
    this transaction. A second instance doing the same waits on the key and gets False."""
    inserted = await conn.fetchval(
        "INSERT INTO review_reminders (application_id, stage_code, reviewer_email,"
        " offset_seconds, due_at, event_id) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT DO NOTHING RETURNING true",
        assignment.application_id,
        assignment.stage_code,
        assignment.reviewer_email,
        int(offset.total_seconds()),
        assignment.due_at,
        event_id,
    )
    return bool(inserted)
