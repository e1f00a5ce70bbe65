"""SQL of the review assignments: which reviews are still pending, for the daily digest and the
reviewer reminders."""

from __future__ import annotations

from datetime import datetime

from aihub_shared.runtime.db import DbConnection


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
    reviewer_name: str,
    anonymous_label: str | None,
) -> None:
    """A new pending assignment (the one it replaces is gone). What its reminder mail names is
    kept with it: the reviewer's name, and a blind stage's label (`blind` says which)."""
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
        " program_code, cohort_code, due_at, assigned_at, reviewer_name, anonymous_label, blind)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        application_id,
        stage_code,
        reviewer_email.lower(),
        program_code,
        cohort_code,
        due_at,
        assigned_at,
        reviewer_name,
        anonymous_label,
        anonymous_label is not None,
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


async def withdraw_assignment(
    conn: DbConnection, application_id: str, stage_code: str, reviewer_email: str
) -> None:
    """The reviewer no longer reviews this application's stage (a challenge upheld, a conflict
    declared): nothing of it is pending any more, for the digest or for reminders."""
    await conn.execute(
        "DELETE FROM review_assignments WHERE application_id = $1 AND stage_code = $2"
        " AND reviewer_email = $3",
        application_id,
        stage_code,
        reviewer_email.lower(),
    )
