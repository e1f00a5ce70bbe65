"""Staged review, second half: advancing applications through the stages and the final
selection (assignments and scores are in `review.py`, the ranking read in `ranking.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from aihub_applications.adapters import history, panel, repository
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.panel import require_external_share
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.stage_scoring import StageResult
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer import bonus_points
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.decisions import Decision, apply_decision
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.kept import KeptComputations
from aihub_applications.service_layer.loaders import (
    cohort_managed_by,
    in_stage,
    load,
    managed_cohort,
    review_of,
    stage_of,
)
from aihub_applications.service_layer.stage_scores import (
    stage_results as counting_stage_results,
)
from aihub_shared.contracts.applications import ApplicationAdvanced
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


async def _stage_results(
    conn: DbConnection, cohort_code: str, stage: ReviewStage, applications: Sequence[Application]
) -> dict[str, StageResult]:
    """Each application's stage result under the stage's rules; 409 naming those not scored by
    enough reviewers."""
    results = await counting_stage_results(conn, cohort_code, stage)
    missing = [str(a.id) for a in applications if _score(results.get(str(a.id))) is None]
    if missing:
        raise RuleBroken(
            f"{len(missing)} application(s) in {stage.code} have fewer than"
            f" {stage.min_reviewers} scored reviews: {', '.join(missing[:20])}",
            code="too_few_reviews",
            params={"count": len(missing), "stage": stage.code, "min": stage.min_reviewers},
        )
    return results


def _score(result: StageResult | None) -> float | None:
    return None if result is None else result.score


def _scored(results: Mapping[str, StageResult], application: Application) -> float:
    """The stage score of an application `_stage_results` found scored."""
    score = _score(results.get(str(application.id)))
    if score is None:  # `_stage_results` refused the unscored: a bug if reached
        raise AssertionError(f"{application.id} has no stage score")
    return score


def _candidate(
    application: Application,
    stage: ReviewStage,
    results: Mapping[str, StageResult],
    bonus: float = 0.0,
) -> rules.Candidate:
    return rules.Candidate(
        application_id=str(application.id),
        received_at=application.created_at,
        stage_scores=application.scores_with(stage.code, _scored(results, application)),
        bonus=bonus,
        cutoff_failures=results[str(application.id)].cutoff_failures,
    )


@dataclass(frozen=True)
class _Plan:
    """What closing a stage would decide, and on which applications (by id)."""

    applications: dict[str, Application]
    #: Each application's score in the stage being closed.
    scores: dict[str, float]
    outcomes: list[rules.Outcome]

    @classmethod
    def of(
        cls,
        applications: Sequence[Application],
        results: Mapping[str, StageResult],
        outcomes: list[rules.Outcome],
    ) -> _Plan:
        return cls(
            {str(a.id): a for a in applications},
            {str(a.id): _scored(results, a) for a in applications},
            outcomes,
        )

    def decided(self) -> list[tuple[rules.Outcome, Application]]:
        return [(o, self.applications[o.application_id]) for o in self.outcomes]


async def _plan_advance(
    conn: DbConnection, review: CohortReview, stage_code: str, *, lock: bool
) -> _Plan:
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
    results = await _stage_results(conn, review.cohort_code, stage, applications)
    require_external_share(stage, await panel.stage_panel(conn, review.cohort_code, stage.code))
    outcomes = rules.advancement(stage, [_candidate(a, stage, results) for a in applications])
    return _Plan.of(applications, results, outcomes)


#: The last previews read (issue 16: at 10,000 applications computing one took about a second).
_KEPT_PREVIEWS: KeptComputations[list[tuple[rules.Outcome, Application]]] = KeptComputations(4)


async def preview_advance(
    pool: asyncpg.Pool, cohort_code: str, stage_code: str, *, staff: StaffPrincipal
) -> list[tuple[rules.Outcome, Application]]:
    """What `advance_stage` would decide now, changing nothing (one consistent snapshot; kept
    until an input changes, `kept.py`)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        review = await cohort_managed_by(conn, cohort_code, staff)

        async def plan() -> list[tuple[rules.Outcome, Application]]:
            return (await _plan_advance(conn, review, stage_code, lock=False)).decided()

        return await _KEPT_PREVIEWS.get_or_compute(conn, cohort_code, ("advance", stage_code), plan)


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
    results = await _stage_results(conn, application.cohort_code, stage, [application])
    score = _scored(results, application)
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


async def _plan_selection(
    conn: DbConnection, review: CohortReview, reserve: int | None, *, lock: bool
) -> _Plan:
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
    results = await _stage_results(conn, review.cohort_code, last, applications)
    require_external_share(last, await panel.stage_panel(conn, review.cohort_code, last.code))
    bonus = await bonus_points.capped_totals(conn, review, applications)
    taken, highest = await repository.selected_in_cohort(conn, review.cohort_code)
    outcomes = rules.selection(
        review.stages,
        [_candidate(a, last, results, bonus.get(str(a.id), 0.0)) for a in applications],
        seats=max(review.seats - taken, 0),
        reserve=reserve,
        first_rank=highest + 1,
    )
    return _Plan.of(applications, results, outcomes)


async def preview_selection(
    pool: asyncpg.Pool, cohort_code: str, *, reserve: int | None, staff: StaffPrincipal
) -> list[tuple[rules.Outcome, Application]]:
    """What `select` would decide now with this reserve, changing nothing (kept like
    `preview_advance`)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        review = await cohort_managed_by(conn, cohort_code, staff)

        async def plan() -> list[tuple[rules.Outcome, Application]]:
            return (await _plan_selection(conn, review, reserve, lock=False)).decided()

        return await _KEPT_PREVIEWS.get_or_compute(conn, cohort_code, ("select", reserve), plan)


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
        for outcome in plan.outcomes:
            application = plan.applications[outcome.application_id]
            await repository.set_stage(
                conn,
                application.id,
                last.code,
                application.scores_with(last.code, plan.scores[outcome.application_id]),
            )
            await apply_decision(
                conn,
                application,
                Decision(
                    application.id, "accepted" if outcome.passed else "rejected", outcome.rank
                ),
                reason=f"{reason}: {outcome.reason}",
                actor=staff.id,
                final_score=outcome.score,
                correlation_id=correlation_id,
            )
    return plan.outcomes
