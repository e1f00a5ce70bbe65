"""Staged review, a reviewer's own part: scoring an application of a stage assigned to them,
previewing the score, and declaring a conflict of interest (assigning reviewers and replacing
one who stepped aside are in `assignments.py`; advancing and selection in `advancing.py` and
`selection.py`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from aihub_applications.adapters import history, repository, reviews
from aihub_applications.adapters.reviews import LockedAssignment
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.status import RuleBroken
from aihub_applications.service_layer.assignments import replace_reviewer
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import load, review_of, stage_of
from aihub_applications.service_layer.pledges import require_pledge
from aihub_shared.contracts.applications import (
    ReviewConflictDeclared,
    ReviewerRef,
    ReviewSubmitted,
)
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import Forbidden, InvalidInput, Problem
from aihub_shared.runtime.db import DbConnection


async def _own_assignment(
    conn: DbConnection,
    application_id: uuid.UUID,
    stage_code: str,
    staff: StaffPrincipal,
    *,
    lock: bool = True,
) -> tuple[Application, ReviewStage, LockedAssignment]:
    """The application, the stage and the caller's own assignment in it, while the application
    is in that stage: only the assigned reviewer scores or recuses (403 for anyone else).
    Locked for a change; `lock=False` for a preview that changes nothing."""
    application = await load(conn, application_id, lock=lock)
    review = await review_of(conn, application)
    index, stage = stage_of(review, stage_code)
    mine = await reviews.lock_assignment(conn, application_id, stage_code, staff.id, lock=lock)
    if mine is None:
        raise Forbidden(
            f"{staff.id} is not a reviewer of this application in {stage_code}",
            code="not_your_review",
            params={"stage": stage_code},
        )
    if not mine.counts:
        raise RuleBroken(
            f"{staff.id} declared a conflict of interest with this application",
            code="conflict_declared",
        )
    application.lifecycle(review).require_in_review(index, "review")
    return application, stage, mine


async def submit_scores(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    stage_code: str,
    scores: dict[str, int],
    comment: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> float:
    """Record (or replace, until the stage closes) one reviewer's scores; their weighted score.

    The first complete scores of an assignment publish `review.submitted` (no scores in it:
    reviews stay confidential here). A correction does not publish it again: for the rest of
    the hub the review was handed in once, and "submitted" stays true whatever the correction.
    """
    async with pool.acquire() as conn, conn.transaction():
        application, stage, mine = await _own_assignment(conn, application_id, stage_code, staff)
        await require_pledge(conn, application.cohort_code, stage, staff.id)
        problems = rules.score_problems(stage, scores)
        if problems:
            raise InvalidInput(
                [Problem(("scores", p.criterion), p.message, p.code) for p in problems]
            )
        first = mine.scores is None  # the assignment row is locked: no race on "first"
        scored_at = await reviews.record_scores(
            conn, application_id, stage_code, staff.id, scores, comment
        )
        await history.add_note(
            conn,
            application,
            staff.id,
            "scores recorded" if first else "scores corrected",
            action="scored",
            stage_code=stage_code,
        )
        if first:
            submitted = ReviewSubmitted(
                **application.ref,
                stage_code=stage_code,
                reviewer=ReviewerRef(id=staff.id, name=mine.reviewer_name),
                submitted_at=scored_at,
            )
            await publish(
                conn,
                "review.submitted",
                subject=application.cohort_code,
                data=submitted,
                correlation_id=correlation_id,
            )
    return rules.review_score(stage, scores)


async def preview_score(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    stage_code: str,
    scores: dict[str, int],
    *,
    staff: StaffPrincipal,
) -> float:
    """The weighted score `submit_scores` would answer for these scores, refused as it would
    refuse them (not the caller's, stage closed, no pledge the stage requires, a criterion
    missing), recording nothing."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        application, stage, _ = await _own_assignment(
            conn, application_id, stage_code, staff, lock=False
        )
        await require_pledge(conn, application.cohort_code, stage, staff.id)
    problems = rules.score_problems(stage, scores)
    if problems:
        raise InvalidInput([Problem(("scores", p.criterion), p.message, p.code) for p in problems])
    return rules.review_score(stage, scores)


async def declare_conflict(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    stage_code: str,
    reason: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> str | None:
    """The reviewer steps aside (their scores no longer count) and the least-loaded pool member
    never assigned to this application replaces them; None when the pool has nobody left (a
    manager then adds reviewers with `assign`)."""
    async with pool.acquire() as conn, conn.transaction():
        # Replacing draws on the pool and the load: serialized with assigning, cohort lock first.
        await repository.lock_cohorts_of(conn, [application_id])
        application, stage, mine = await _own_assignment(conn, application_id, stage_code, staff)
        await reviews.declare_conflict(conn, application_id, stage_code, staff.id, reason)
        await history.add_note(
            conn,
            application,
            staff.id,
            f"conflict of interest: {reason}",
            action="conflict",
            stage_code=stage_code,
        )
        # Told before the replacement: notifications stops counting and reminding it.
        stepped_aside = ReviewConflictDeclared(
            **application.ref,
            stage_code=stage_code,
            reviewer=ReviewerRef(id=mine.reviewer_id, name=mine.reviewer_name),
            declared_at=datetime.now(UTC),
        )
        await publish(
            conn,
            "review.conflict_declared",
            subject=application.cohort_code,
            data=stepped_aside,
            correlation_id=correlation_id,
        )
        return await replace_reviewer(conn, application, stage, mine, staff, correlation_id)
