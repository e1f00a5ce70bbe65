"""Staged review: the final selection, closing the last stage (advancing through the earlier
stages is in `advancing.py`, assignments in `assignments.py`, scores in `review.py`, the ranking
read in `ranking.py`)."""

from __future__ import annotations

import asyncpg

from aihub_applications.adapters import panel, repository
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.panel import require_external_share
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer import bonus_points, kept
from aihub_applications.service_layer.decisions import (
    Decided,
    Decision,
    Outcome,
    record_decisions,
)
from aihub_applications.service_layer.loaders import cohort_managed_by, managed_cohort
from aihub_applications.service_layer.stage_closing import ClosingPlan, candidate, scored_results
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


async def _plan_selection(
    conn: DbConnection, review: CohortReview, reserve: int | None, *, lock: bool
) -> ClosingPlan:
    """Who the last stage's closing would accept (seats, then the reserve) and reject."""
    last_index, last = len(review.stages) - 1, review.stages[-1]
    applications = await repository.cohort_applications_in(
        conn, review.cohort_code, Status.RECEIVED, lock=lock
    )
    earlier = [a for a in applications if a.lifecycle(review).stage_index != last_index]
    if earlier:
        raise RuleBroken(
            f"{len(earlier)} application(s) are still in an earlier stage: advance it first",
            code="earlier_stage_pending",
            params={"count": len(earlier)},
        )
    if not applications:
        raise RuleBroken(
            f"no application of cohort {review.cohort_code} is in review", code="none_in_review"
        )
    results = await scored_results(conn, review.cohort_code, last, applications)
    require_external_share(last, await panel.stage_panel(conn, review.cohort_code, last.code))
    bonus = await bonus_points.capped_totals(conn, review, applications)
    taken, highest = await repository.selected_in_cohort(conn, review.cohort_code)
    outcomes = rules.selection(
        review.stages,
        [candidate(a, last, results, bonus.get(str(a.id), 0.0)) for a in applications],
        seats=max(review.seats - taken, 0),
        reserve=reserve,
        first_rank=highest + 1,
    )
    return ClosingPlan.of(applications, results, outcomes)


async def preview_selection(
    pool: asyncpg.Pool, cohort_code: str, *, reserve: int | None, staff: StaffPrincipal
) -> list[tuple[rules.Outcome, Application]]:
    """What `select` would decide now with this reserve, changing nothing (kept until an input
    changes, `kept.py`)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        review = await cohort_managed_by(conn, cohort_code, staff)

        async def plan() -> kept.Decided:
            return (await _plan_selection(conn, review, reserve, lock=False)).decided()

        return await kept.PREVIEWS.get_or_compute(conn, cohort_code, ("select", reserve), plan)


async def select(
    pool: asyncpg.Pool,
    cohort_code: str,
    reason: str,
    *,
    reserve: int | None,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> list[rules.Outcome]:
    """Close the last stage: rank by final score (tie-break in `domain.review`), accept the
    best up to the free seats, then the ranked reserve, reject the rest — each with a reason.
    Ranks continue after any the committee already gave in this cohort."""
    async with pool.acquire() as conn, conn.transaction():
        review = await managed_cohort(conn, cohort_code, staff)
        last = review.stages[-1]
        plan = await _plan_selection(conn, review, reserve, lock=True)
        decided: list[Decided] = []
        for outcome in plan.outcomes:
            application = plan.applications[outcome.application_id]
            await repository.set_stage(
                conn,
                application.id,
                last.code,
                application.scores_with(last.code, plan.scores[outcome.application_id]),
            )
            passed: Outcome = "accepted" if outcome.passed else "rejected"
            decided.append(
                Decided(
                    application,
                    Decision(application.id, passed, outcome.rank),
                    f"{reason}: {outcome.reason}",
                    outcome.score,
                )
            )
        # All the decisions at once, in the plan's order (as one at a time: `record_decisions`).
        await record_decisions(conn, decided, actor=staff.id, correlation_id=correlation_id)
    return plan.outcomes
