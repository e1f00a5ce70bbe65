"""Staged review: advancing applications through the stages that are not the last, by the
stage's rules (threshold and/or top-K) or by a manager's hand (the final selection is in
`selection.py`, assignments in `assignments.py`, scores in `review.py`)."""

from __future__ import annotations

import uuid

import asyncpg

from aihub_applications.adapters import history, panel, repository
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.panel import require_external_share
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer import kept
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.decisions import Decision, apply_decision
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.loaders import (
    cohort_managed_by,
    in_stage,
    load,
    managed_cohort,
    review_of,
    stage_of,
)
from aihub_applications.service_layer.stage_closing import (
    ClosingPlan,
    candidate,
    scored,
    scored_results,
)
from aihub_shared.contracts.applications import ApplicationAdvanced
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


async def _plan_advance(
    conn: DbConnection, review: CohortReview, stage_code: str, *, lock: bool
) -> ClosingPlan:
    """Who would pass the stage (threshold and/or top-K); the applications locked if `lock`."""
    index, stage = stage_of(review, stage_code)
    if index == len(review.stages) - 1:
        raise RuleBroken(
            f"{stage_code} is the last stage: select the cohort instead",
            code="last_stage",
            params={"stage": stage_code},
        )
    applications = in_stage(
        await repository.cohort_applications_in(
            conn, review.cohort_code, Status.RECEIVED, lock=lock
        ),
        review,
        index,
    )
    if not applications:
        raise RuleBroken(
            f"no application of cohort {review.cohort_code} is in {stage_code}",
            code="none_in_stage",
            params={"stage": stage_code},
        )
    results = await scored_results(conn, review.cohort_code, stage, applications)
    require_external_share(stage, await panel.stage_panel(conn, review.cohort_code, stage.code))
    outcomes = rules.advancement(stage, [candidate(a, stage, results) for a in applications])
    return ClosingPlan.of(applications, results, outcomes)


async def preview_advance(
    pool: asyncpg.Pool, cohort_code: str, stage_code: str, *, staff: StaffPrincipal
) -> list[tuple[rules.Outcome, Application]]:
    """What `advance_stage` would decide now, changing nothing (one consistent snapshot; kept
    until an input changes, `kept.py`)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        review = await cohort_managed_by(conn, cohort_code, staff)

        async def plan() -> kept.Decided:
            return (await _plan_advance(conn, review, stage_code, lock=False)).decided()

        return await kept.PREVIEWS.get_or_compute(conn, cohort_code, ("advance", stage_code), plan)


async def advance_stage(
    pool: asyncpg.Pool,
    cohort_code: str,
    stage_code: str,
    reason: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> list[rules.Outcome]:
    """Close a stage that is not the last: those passing (threshold and/or top-K) enter the
    next stage (`application.advanced`), the others are rejected with the reason why."""
    async with pool.acquire() as conn, conn.transaction():
        review = await managed_cohort(conn, cohort_code, staff)
        plan = await _plan_advance(conn, review, stage_code, lock=True)
        stage = stage_of(review, stage_code)[1]
        for outcome in plan.outcomes:
            application = plan.applications[outcome.application_id]
            why = f"{reason}: {outcome.reason}"
            if outcome.passed:
                await _advance_one(
                    conn,
                    application,
                    review,
                    outcome.score,
                    why,
                    actor=staff.id,
                    correlation_id=correlation_id,
                )
            else:
                await repository.set_stage(
                    conn,
                    application.id,
                    stage.code,
                    application.scores_with(stage.code, outcome.score),
                )
                await apply_decision(
                    conn,
                    application,
                    Decision(application.id, "rejected"),
                    reason=why,
                    actor=staff.id,
                    final_score=None,
                    correlation_id=correlation_id,
                )
    return plan.outcomes


async def _advance_one(
    conn: DbConnection,
    application: Application,
    review: CohortReview,
    score: float,
    reason: str,
    *,
    actor: str,
    correlation_id: str | None,
) -> None:
    state = application.lifecycle(review)
    stage = review.stages[state.stage_index]
    next_stage = review.stages[state.advance().stage_index]
    await repository.set_stage(
        conn, application.id, next_stage.code, application.scores_with(stage.code, score)
    )
    await history.add_note(
        conn, application, actor, reason, action="advanced", stage_code=next_stage.code
    )
    advanced = ApplicationAdvanced(
        **application.ref, from_stage=stage.code, to_stage=next_stage.code, stage_score=score
    )
    await publish(
        conn,
        "application.advanced",
        subject=application.cohort_code,
        data=advanced,
        correlation_id=correlation_id,
    )


async def advance_one(
    pool: asyncpg.Pool,
    application_id: uuid.UUID,
    reason: str,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> str:
    """A manager moves one application to the next stage whatever the threshold or top-K say
    (e.g. a late review); it still needs its stage score. Returns the new stage."""
    async with pool.acquire() as conn, conn.transaction():
        application = await load(conn, application_id)
        require_manager(staff, application.program_code)
        review = await review_of(conn, application)
        return await advance_by_hand(
            conn, application, review, reason, actor=staff.id, correlation_id=correlation_id
        )


async def advance_by_hand(
    conn: DbConnection,
    application: Application,
    review: CohortReview,
    reason: str,
    *,
    actor: str,
    correlation_id: str | None,
) -> str:
    """Advance one locked application in review to the next stage with its stage score (409
    out of review, in the last stage, or without enough scored reviews): a manual advance, and
    an upheld appeal (`appeals.py`)."""
    state = application.lifecycle(review)
    state.advance()  # refuses out of review or in the last stage, with the reason
    stage = review.stages[state.stage_index]
    results = await scored_results(conn, application.cohort_code, stage, [application])
    score = scored(results, application)
    await _advance_one(
        conn,
        application,
        review,
        score,
        f"{reason}: {stage.code} score {score:.2f}, advanced by hand",
        actor=actor,
        correlation_id=correlation_id,
    )
    return review.stages[state.stage_index + 1].code
