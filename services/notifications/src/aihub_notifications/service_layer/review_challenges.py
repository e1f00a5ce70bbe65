"""`review.challenged` / `review.challenge_decided` (기피 신청): no mail; an open challenge
pauses its reviewer's reminders for the application's stage, a dismissed one lets them resume
(due time unchanged), an upheld one takes the reviewer off the stage (no reminder, not pending
in the digest; their replacement, if the pool had one, came as a `review.assigned` naming them
in `replaces`, before this event)."""

from __future__ import annotations

from aihub_notifications.adapters import challenges, reviews
from aihub_shared.contracts.applications import ReviewChallenge
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime.db import DbConnection


async def challenge_changed(conn: DbConnection, event: CloudEvent, data: ReviewChallenge) -> None:
    await challenges.record_challenge(
        conn,
        challenge_id=data.challenge_id,
        application_id=data.application_id,
        stage_code=data.stage_code,
        reviewer_email=str(data.reviewer.id),
        status=data.status,
        at=event.time,
    )
    if data.status == "upheld":
        await reviews.withdraw_assignment(
            conn, data.application_id, data.stage_code, str(data.reviewer.id)
        )
