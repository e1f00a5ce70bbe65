"""Staged review, first half: assigning reviewers, scores and conflicts of interest (advancing
and selection are in `selection.py`).

Reviewer pool: staff name the reviewers of a stage of a cohort when they assign (`assign`); the
names stay in the stage's pool, which replacements after a conflict of interest draw on.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from aihub_applications.adapters import history, panel, repository, reviews
from aihub_applications.adapters.reviews import LockedAssignment
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.blind import anonymous_label
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import (
    in_stage,
    load,
    managed_cohort,
    review_of,
    stage_of,
)
from aihub_applications.service_layer.pledges import require_pledge
from aihub_shared.contracts.applications import (
    ReviewAssigned,
    ReviewConflictDeclared,
    ReviewerRef,
    ReviewSubmitted,
)
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import Forbidden, InvalidInput, Problem
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class Assignment:
    application_id: str
    reviewer_id: str


async def assign(
    pool: asyncpg.Pool,
    cohort_code: str,
    stage_code: str,
    reviewers: Sequence[tuple[str, str]],
    *,
    per_application: int | None,
    staff: StaffPrincipal,
    due_at: datetime | None = None,
    external: Sequence[str] = (),
    correlation_id: str | None = None,
) -> tuple[list[Assignment], list[str]]:
    """Add `reviewers` to the stage's pool and bring every application in the stage up to
    `per_application` (at least the stage's `min_reviewers`) reviewers, least-loaded first.
    `external`: those of them from outside the hub (외부 평가위원, for the panel rule).
    Returns the new assignments and the applications still short of reviewers."""
    async with pool.acquire() as conn, conn.transaction():
        review = await managed_cohort(conn, cohort_code, staff)
        index, stage = stage_of(review, stage_code)
        wanted = per_application or stage.min_reviewers
        if wanted < stage.min_reviewers:
            raise InvalidInput(
                [(("per_application",), f"stage {stage_code} needs {stage.min_reviewers}")]
            )
        await reviews.add_to_pool(conn, cohort_code, stage_code, list(reviewers), staff.id)
        await panel.mark_external(conn, cohort_code, stage_code, external)
        names = await reviews.pool(conn, cohort_code, stage_code)
        applications = in_stage(
            await repository.lock_cohort_applications(conn, cohort_code, Status.RECEIVED),
            review,
            index,
        )
        staffing = rules.staffing(await reviews.stage_assignments(conn, cohort_code, stage_code))
        by_id = {str(a.id): a for a in applications}
        pairs = rules.plan_assignments(
            list(by_id),
            list(names),
            already=staffing.already,
            active=staffing.active,
            load=staffing.load,
            per_application=wanted,
        )
        active = dict(staffing.active)
        for application_id, reviewer_id in pairs:
            await _assign_one(
                conn,
                by_id[application_id],
                stage,
                (reviewer_id, names[reviewer_id]),
                actor=staff.id,
                replaces=None,
                due_at=due_at,
                correlation_id=correlation_id,
            )
            active[application_id] = active.get(application_id, 0) + 1
        short = [a for a in by_id if active.get(a, 0) < wanted]
    return [Assignment(a, r) for a, r in pairs], short


async def _assign_one(
    conn: DbConnection,
    application: Application,
    stage: ReviewStage,
    reviewer: tuple[str, str],
    *,
    actor: str,
    replaces: tuple[str, str] | None,
    due_at: datetime | None,
    correlation_id: str | None,
) -> None:
    replaced_id = replaces[0] if replaces else None
    await reviews.insert_assignment(
        conn,
        application.id,
        stage.code,
        reviewer,
        assigned_by=actor,
        replaces=replaced_id,
        due_at=due_at,
    )
    why = f"reviewer {reviewer[0]} assigned" + (f" in place of {replaced_id}" if replaces else "")
    await history.add_note(
        conn,
        application,
        actor,
        why,
        action="assigned",
        stage_code=stage.code,
        reviewer_id=reviewer[0],
        replaced_reviewer_id=replaced_id,
    )
    assigned = ReviewAssigned(
        **application.ref,
        stage_code=stage.code,
        reviewer=ReviewerRef(id=reviewer[0], name=reviewer[1]),
        replaces=ReviewerRef(id=replaces[0], name=replaces[1]) if replaces else None,
        due_at=due_at,
        anonymous_label=anonymous_label(str(application.id)) if stage.blind else None,
    )
    await publish(
        conn,
        "review.assigned",
        subject=application.cohort_code,
        data=assigned,
        correlation_id=correlation_id,
    )


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


async def replace_reviewer(
    conn: DbConnection,
    application: Application,
    stage: ReviewStage,
    recused: LockedAssignment,
    staff: StaffPrincipal,
    correlation_id: str | None,
) -> str | None:
    """The pool's least-loaded reviewer never assigned to the application takes the place of
    the one who recused (or whose challenge was upheld), with their deadline; None when nobody
    is left. `staff` is who acts: the recusing reviewer, or the deciding manager."""
    names = await reviews.pool(conn, application.cohort_code, stage.code)
    staffing = rules.staffing(
        await reviews.stage_assignments(conn, application.cohort_code, stage.code)
    )
    key = str(application.id)
    pairs = rules.plan_assignments(
        [key],
        list(names),
        already={key: staffing.already.get(key, frozenset())},
        active={key: 0},
        load=staffing.load,
        per_application=1,
    )
    if not pairs:
        return None
    replacement = pairs[0][1]
    await _assign_one(
        conn,
        application,
        stage,
        (replacement, names[replacement]),
        actor=staff.id,
        replaces=(recused.reviewer_id, recused.reviewer_name),
        due_at=recused.due_at,  # the replacement inherits the deadline
        correlation_id=correlation_id,
    )
    return replacement
