"""기피 신청: a manager files an applicant's challenge of a reviewer of one application's stage;
while it is open that reviewer's scores there do not count (`stage_scores`); the manager then
upholds it — the reviewer is replaced as after a declared conflict of interest — or dismisses
it, with a reason. Each step is a history entry and an event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from aihub_applications.adapters import challenges, history, repository, reviews
from aihub_applications.domain.application import Application
from aihub_applications.domain.challenges import Outcome, require_open
from aihub_applications.domain.status import RuleBroken
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.assignments import replace_reviewer
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import load, review_of, stage_of
from aihub_shared.contracts.applications import ReviewChallenge, ReviewerRef
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import NotFound
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class ChallengeAnswer:
    challenge_id: uuid.UUID
    status: str
    #: After an upheld challenge: who took the reviewer's place (None: the pool had nobody).
    replacement: str | None = None


async def file_challenge(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    stage_code: str,
    reviewer_id: str,
    reason: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> ChallengeAnswer:
    """A manager files the applicant's challenge."""
    async with pool.acquire() as conn, conn.transaction():
        application = await load(conn, application_id)
        require_manager(staff, application.program_code)
        return await file_for(
            conn, application, stage_code, reviewer_id, reason, staff.id, correlation_id
        )


async def file_for(
    conn: DbConnection,
    application: Application,
    stage_code: str,
    reviewer_id: str,
    reason: str,
    filed_by: str,
    correlation_id: str | None,
) -> ChallengeAnswer:
    """Both doors (a manager over HTTP, a publishing system over Kafka): a challenge of a
    reviewer assigned (and not recused) in the application's current stage; 409 when one is
    already open for them."""
    review = await review_of(conn, application)
    index, stage = stage_of(review, stage_code)
    application.lifecycle(review).require_in_review(index, "challenge a reviewer")
    assignment = await reviews.lock_assignment(conn, application.id, stage.code, reviewer_id)
    if assignment is None or not assignment.counts:
        raise NotFound(f"{reviewer_id} is not a reviewer of this application in {stage.code}")
    filed = await challenges.file(conn, application.id, stage.code, reviewer_id, reason, filed_by)
    if filed is None:
        raise RuleBroken(f"a challenge of {reviewer_id} in {stage.code} is already open")
    challenge_id, _ = filed
    note = f"challenge of reviewer {reviewer_id} filed: {reason}"
    await history.add_note(
        conn,
        application,
        filed_by,
        note,
        action="challenged",
        stage_code=stage.code,
        reviewer_id=reviewer_id,
    )
    event = _event(
        application,
        challenge_id,
        stage.code,
        (reviewer_id, assignment.reviewer_name),
        status="open",
        reason=reason,
        filed_by=filed_by,
    )
    await _publish(conn, "review.challenged", application, event, correlation_id)
    return ChallengeAnswer(challenge_id, "open")


async def decide_challenge(
    pool: asyncpg.Pool,
    challenge_id: uuid.UUID,
    outcome: Outcome,
    reason: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> ChallengeAnswer:
    """Uphold (the reviewer is replaced from the pool, as after a conflict of interest) or
    dismiss (their scores count again) an open challenge, with the reason."""
    async with pool.acquire() as conn, conn.transaction():
        application_id = await challenges.application_of(conn, challenge_id)
        if application_id is None:
            raise NotFound(f"no challenge {challenge_id}")
        # Replacing draws on the pool and the load: the cohort lock first, as assigning does.
        await repository.lock_cohorts_of(conn, [application_id])
        challenge = await challenges.lock(conn, challenge_id)
        assert challenge is not None  # challenges are never deleted
        application = await load(conn, application_id)
        require_manager(staff, application.program_code)
        require_open(str(challenge_id), challenge["status"])
        stage_code, reviewer_id = challenge["stage_code"], challenge["reviewer_id"]
        await challenges.decide(conn, challenge_id, outcome, reason, staff.id)
        assignment = await reviews.lock_assignment(conn, application.id, stage_code, reviewer_id)
        assert assignment is not None  # a challenge is filed against an assignment
        replacement = None
        note = f"challenge of reviewer {reviewer_id} {outcome}: {reason}"
        await history.add_note(
            conn,
            application,
            staff.id,
            note,
            action=f"challenge_{outcome}",
            stage_code=stage_code,
            reviewer_id=reviewer_id,
        )
        if outcome == "upheld" and assignment.counts:
            await reviews.declare_conflict(
                conn, application.id, stage_code, reviewer_id, f"challenge upheld: {reason}"
            )
            _, stage = stage_of(await review_of(conn, application), stage_code)
            replacement = await replace_reviewer(
                conn, application, stage, assignment, staff, correlation_id
            )
        event = _event(
            application,
            challenge_id,
            stage_code,
            (reviewer_id, assignment.reviewer_name),
            status=outcome,
            reason=challenge["reason"],
            filed_by=challenge["filed_by"],
            decision_reason=reason,
            decided_by=staff.id,
        )
        await _publish(conn, "review.challenge_decided", application, event, correlation_id)
        return ChallengeAnswer(challenge_id, outcome, replacement)


def _event(
    application: Application,
    challenge_id: uuid.UUID,
    stage_code: str,
    reviewer: tuple[str, str],
    **fields: str,
) -> ReviewChallenge:
    return ReviewChallenge.model_validate(
        {
            **application.ref,
            "challenge_id": str(challenge_id),
            "stage_code": stage_code,
            "reviewer": ReviewerRef(id=reviewer[0], name=reviewer[1]),
            **fields,
        }
    )


async def _publish(
    conn: DbConnection,
    name: str,
    application: Application,
    event: ReviewChallenge,
    correlation_id: str | None,
) -> None:
    await publish(
        conn, name, subject=application.cohort_code, data=event, correlation_id=correlation_id
    )
