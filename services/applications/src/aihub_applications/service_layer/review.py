"""Staged review, first half: assigning reviewers, scores and conflicts of interest (advancing
and selection are in `selection.py`).

Reviewer pool: staff name the reviewers of a stage of a cohort when they assign (`assign`); the
names stay in the stage's pool, which replacements after a conflict of interest draw on.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from aihub_applications.adapters import repository, reviews
from aihub_applications.domain import review as rules
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.decisions import (
    lifecycle_of,
    load,
    review_of,
)
from aihub_applications.service_layer.errors import Forbidden, InvalidInput, NotFound
from aihub_applications.service_layer.events import publish
from aihub_shared.contracts.applications import (
    ReviewAssigned,
    ReviewerRef,
    ReviewSubmitted,
)
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class Assignment:
    application_id: str
    reviewer_id: str


async def managed_cohort(
    conn: DbConnection, cohort_code: str, staff: StaffPrincipal
) -> CohortReview:
    """The cohort's review rules, once the caller is known to manage its program; the cohort
    stays locked for the rest of the transaction (assignments, advancing, selection)."""
    review = await repository.cohort_review(conn, cohort_code)
    if review is None:
        raise NotFound(f"no cohort {cohort_code}")
    require_manager(staff, review.program_code)
    await repository.lock_cohort(conn, cohort_code)
    return review


def stage_of(review: CohortReview, stage_code: str) -> tuple[int, ReviewStage]:
    index = review.stage_index(stage_code)
    if index is None:
        raise NotFound(f"cohort {review.cohort_code} has no review stage {stage_code}")
    return index, review.stages[index]


def in_stage(rows: Sequence[asyncpg.Record], review: CohortReview, index: int) -> list[Any]:
    return [r for r in rows if lifecycle_of(r, review).stage_index == index]


async def assign(
    pool: asyncpg.Pool,
    cohort_code: str,
    stage_code: str,
    reviewers: Sequence[tuple[str, str]],
    *,
    per_application: int | None,
    staff: StaffPrincipal,
    due_at: datetime | None = None,
    correlation_id: str | None = None,
) -> tuple[list[Assignment], list[str]]:
    """Add `reviewers` to the stage's pool and bring every application in the stage up to
    `per_application` (at least the stage's `min_reviewers`) reviewers, least-loaded first.
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
        names = await reviews.pool(conn, cohort_code, stage_code)
        rows = in_stage(
            await repository.lock_cohort_applications(conn, cohort_code, Status.RECEIVED),
            review,
            index,
        )
        existing = await reviews.stage_assignments(conn, cohort_code, stage_code)
        already: dict[str, set[str]] = defaultdict(set)
        active: dict[str, int] = defaultdict(int)
        load_: dict[str, int] = defaultdict(int)
        for a in existing:
            already[str(a["application_id"])].add(a["reviewer_id"])
            if a["conflict_reason"] is None:
                active[str(a["application_id"])] += 1
                load_[a["reviewer_id"]] += 1
        by_id = {str(r["id"]): r for r in rows}
        pairs = rules.plan_assignments(
            list(by_id),
            list(names),
            already={k: frozenset(v) for k, v in already.items()},
            active=active,
            load=load_,
            per_application=wanted,
        )
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
            active[application_id] += 1
        short = [a for a in by_id if active[a] < wanted]
    return [Assignment(a, r) for a, r in pairs], short


async def _assign_one(
    conn: DbConnection,
    row: asyncpg.Record,
    stage: ReviewStage,
    reviewer: tuple[str, str],
    *,
    actor: str,
    replaces: tuple[str, str] | None,
    due_at: datetime | None,
    correlation_id: str | None,
) -> None:
    await reviews.insert_assignment(
        conn,
        row["id"],
        stage.code,
        reviewer,
        assigned_by=actor,
        replaces=replaces[0] if replaces else None,
        due_at=due_at,
    )
    why = f"reviewer {reviewer[0]} assigned" + (f" in place of {replaces[0]}" if replaces else "")
    await repository.add_note(conn, row, actor, why, action="assigned", stage_code=stage.code)
    assigned = ReviewAssigned(
        application_id=str(row["id"]),
        program_code=row["program_code"],
        cohort_code=row["cohort_code"],
        startup_name=row["startup_name"],
        stage_code=stage.code,
        reviewer=ReviewerRef(id=reviewer[0], name=reviewer[1]),
        replaces=ReviewerRef(id=replaces[0], name=replaces[1]) if replaces else None,
        due_at=due_at,
    )
    await publish(
        conn,
        "review.assigned",
        subject=row["cohort_code"],
        data=assigned,
        correlation_id=correlation_id,
    )


async def _own_assignment(
    conn: DbConnection, application_id: uuid.UUID, stage_code: str, staff: StaffPrincipal
) -> tuple[asyncpg.Record, CohortReview, ReviewStage, asyncpg.Record]:
    row = await load(conn, application_id)
    review = await review_of(conn, row)
    index, stage = stage_of(review, stage_code)
    mine = await reviews.lock_assignment(conn, application_id, stage_code, staff.id)
    if mine is None:
        raise Forbidden(f"{staff.id} is not a reviewer of this application in {stage_code}")
    if mine["conflict_reason"] is not None:
        raise RuleBroken(f"{staff.id} declared a conflict of interest with this application")
    lifecycle_of(row, review).require_in_review(index, "review")
    return row, review, stage, mine


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
        row, _, stage, mine = await _own_assignment(conn, application_id, stage_code, staff)
        problems = rules.score_problems(stage, scores)
        if problems:
            raise InvalidInput([(("scores", p.criterion), p.message) for p in problems])
        first = mine["scores"] is None  # the assignment row is locked: no race on "first"
        scored_at = await reviews.record_scores(
            conn, application_id, stage_code, staff.id, scores, comment
        )
        await repository.add_note(
            conn,
            row,
            staff.id,
            "scores recorded" if first else "scores corrected",
            action="scored",
            stage_code=stage_code,
        )
        if first:
            submitted = ReviewSubmitted(
                application_id=str(row["id"]),
                program_code=row["program_code"],
                cohort_code=row["cohort_code"],
                startup_name=row["startup_name"],
                stage_code=stage_code,
                reviewer=ReviewerRef(id=staff.id, name=mine["reviewer_name"]),
                submitted_at=scored_at,
            )
            await publish(
                conn,
                "review.submitted",
                subject=row["cohort_code"],
                data=submitted,
                correlation_id=correlation_id,
            )
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
        row, _, stage, mine = await _own_assignment(conn, application_id, stage_code, staff)
        await reviews.declare_conflict(conn, application_id, stage_code, staff.id, reason)
        await repository.add_note(
            conn,
            row,
            staff.id,
            f"conflict of interest: {reason}",
            action="conflict",
            stage_code=stage_code,
        )
        names = await reviews.pool(conn, row["cohort_code"], stage_code)
        existing = await reviews.stage_assignments(conn, row["cohort_code"], stage_code)
        load_: dict[str, int] = defaultdict(int)
        for a in existing:
            if a["conflict_reason"] is None:
                load_[a["reviewer_id"]] += 1
        key = str(application_id)
        already = frozenset(a["reviewer_id"] for a in existing if str(a["application_id"]) == key)
        pairs = rules.plan_assignments(
            [key],
            list(names),
            already={key: already},
            active={key: 0},
            load=load_,
            per_application=1,
        )
        if not pairs:
            return None
        replacement = pairs[0][1]
        await _assign_one(
            conn,
            row,
            stage,
            (replacement, names[replacement]),
            actor=staff.id,
            replaces=(staff.id, mine["reviewer_name"]),
            due_at=mine["due_at"],  # the replacement inherits the deadline
            correlation_id=correlation_id,
        )
    return replacement
