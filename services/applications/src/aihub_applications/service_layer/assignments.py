"""Staged review: assigning reviewers to the applications of a stage, and replacing one who
stepped aside (a conflict of interest in `review.py`, an upheld challenge in `challenges.py`).

Reviewer pool: staff name the reviewers of a stage of a cohort when they assign (`assign`); the
names stay in the stage's pool, which replacements after a conflict of interest draw on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from aihub_applications.adapters import history, panel, repository, reviews
from aihub_applications.adapters.reviews import LockedAssignment
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.blind import anonymous_label
from aihub_applications.domain.status import Status
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import in_stage, managed_cohort, stage_of
from aihub_shared.contracts.applications import ReviewAssigned, ReviewerRef
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import InvalidInput
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
