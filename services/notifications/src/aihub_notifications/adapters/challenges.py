"""SQL of the challenges of reviewers (기피 신청) as notifications follows them: which are open,
so the reminders pause for their reviewers (`adapters/reminders.py`)."""

from __future__ import annotations

from datetime import datetime

from aihub_shared.runtime.db import DbConnection


async def record_challenge(
    conn: DbConnection,
    *,
    challenge_id: str,
    application_id: str,
    stage_code: str,
    reviewer_email: str,
    status: str,
    at: datetime,
) -> None:
    """An open challenge is recorded once and never reopened (a late or repeated
    `review.challenged` after the decision changes nothing); a decision closes it, whether or
    not its opening was seen."""
    await conn.execute(
        "INSERT INTO review_challenges (challenge_id, application_id, stage_code,"
        " reviewer_email, status, changed_at) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (challenge_id) DO UPDATE"
        " SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at"
        " WHERE EXCLUDED.status <> 'open' AND review_challenges.status = 'open'",
        challenge_id,
        application_id,
        stage_code,
        reviewer_email.lower(),
        status,
        at,
    )
