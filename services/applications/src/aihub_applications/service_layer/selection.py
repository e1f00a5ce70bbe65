"""Staged review, second half: advancing applications through the stages and the final
selection and ranking (assignments and scores are in `review.py`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg

from aihub_applications.adapters import repository, reviews
from aihub_applications.domain import review as rules
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status
from aihub_applications.service_layer.access import require_manager
from aihub_applications.service_layer.decisions import (
    Decision,
    apply_decision,
    lifecycle_of,
    load,
    review_of,
)
from aihub_applications.service_layer.errors import NotFound
from aihub_applications.service_layer.events import publish
from aihub_applications.service_layer.review import in_stage, managed_cohort, stage_of
from aihub_shared.contracts.applications import (
    ApplicationAdvanced,
)
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


async def _stage_scores(
    conn: DbConnection, cohort_code: str, stage: ReviewStage, rows: Sequence[asyncpg.Record]
) -> dict[str, float]:
    """Each application's score in the stage; 409 naming those not scored by enough reviewers."""
    scored: dict[str, list[dict[str, int]]] = defaultdict(list)
    for a in await reviews.stage_assignments(conn, cohort_code, stage.code):
        if a["conflict_reason"] is None and a["scores"] is not None:
            scored[str(a["application_id"])].append(a["scores"])
    result: dict[str, float] = {}
    missing: list[str] = []
    for row in rows:
        score = rules.stage_score(stage, scored[str(row["id"])])
        if score is None:
            missing.append(str(row["id"]))
        else:
            result[str(row["id"])] = score
    if missing:
        raise RuleBroken(
            f"{len(missing)} application(s) in {stage.code} have fewer than"
            f" {stage.min_reviewers} scored reviews: {', '.join(missing[:20])}"
        )
    return result


def _candidate(row: asyncpg.Record, stage: ReviewStage, score: float) -> rules.Candidate:
    return rules.Candidate(
        application_id=str(row["id"]),
        received_at=row["created_at"],
        stage_scores={**row["stage_scores"], stage.code: score},
    )


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
        index, stage = stage_of(review, stage_code)
        if index == len(review.stages) - 1:
            raise RuleBroken(f"{stage_code} is the last stage: select the cohort instead")
        rows = in_stage(
            await repository.lock_cohort_applications(conn, cohort_code, Status.RECEIVED),
            review,
            index,
        )
        if not rows:
            raise RuleBroken(f"no application of cohort {cohort_code} is in {stage_code}")
        scores = await _stage_scores(conn, cohort_code, stage, rows)
        by_id = {str(r["id"]): r for r in rows}
        outcomes = rules.advancement(
            stage, [_candidate(r, stage, scores[str(r["id"])]) for r in rows]
        )
        for outcome in outcomes:
            row = by_id[outcome.application_id]
            if outcome.passed:
                await _advance_one(
                    conn,
                    row,
                    review,
                    outcome.score,
                    f"{reason}: {outcome.reason}",
                    actor=staff.id,
                    correlation_id=correlation_id,
                )
            else:
                await repository.set_stage(
                    conn, row["id"], stage.code, {**row["stage_scores"], stage.code: outcome.score}
                )
                await apply_decision(
                    conn,
                    row,
                    Decision(row["id"], "rejected"),
                    reason=f"{reason}: {outcome.reason}",
                    actor=staff.id,
                    final_score=None,
                    correlation_id=correlation_id,
                )
    return outcomes


async def _advance_one(
    conn: DbConnection,
    row: asyncpg.Record,
    review: CohortReview,
    score: float,
    reason: str,
    *,
    actor: str,
    correlation_id: str | None,
) -> None:
    state = lifecycle_of(row, review)
    stage = review.stages[state.stage_index]
    next_stage = review.stages[state.advance().stage_index]
    await repository.set_stage(
        conn, row["id"], next_stage.code, {**row["stage_scores"], stage.code: score}
    )
    await repository.add_note(
        conn, row, actor, reason, action="advanced", stage_code=next_stage.code
    )
    advanced = ApplicationAdvanced(
        application_id=str(row["id"]),
        program_code=row["program_code"],
        cohort_code=row["cohort_code"],
        startup_name=row["startup_name"],
        from_stage=stage.code,
        to_stage=next_stage.code,
        stage_score=score,
    )
    await publish(
        conn,
        "application.advanced",
        subject=row["cohort_code"],
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
    (e.g. a late review, an appeal); it still needs its stage score. Returns the new stage."""
    async with pool.acquire() as conn, conn.transaction():
        row = await load(conn, application_id)
        require_manager(staff, row["program_code"])
        review = await review_of(conn, row)
        state = lifecycle_of(row, review)
        state.advance()  # refuses out of review or in the last stage, with the reason
        stage = review.stages[state.stage_index]
        score = (await _stage_scores(conn, row["cohort_code"], stage, [row]))[str(row["id"])]
        await _advance_one(
            conn,
            row,
            review,
            score,
            f"{reason}: {stage.code} score {score:.2f}, advanced by hand",
            actor=staff.id,
            correlation_id=correlation_id,
        )
        return review.stages[state.stage_index + 1].code


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
        last_index, last = len(review.stages) - 1, review.stages[-1]
        rows = await repository.lock_cohort_applications(conn, cohort_code, Status.RECEIVED)
        earlier = [r for r in rows if lifecycle_of(r, review).stage_index != last_index]
        if earlier:
            raise RuleBroken(
                f"{len(earlier)} application(s) are still in an earlier stage: advance it first"
            )
        if not rows:
            raise RuleBroken(f"no application of cohort {cohort_code} is in review")
        scores = await _stage_scores(conn, cohort_code, last, rows)
        taken, highest = await repository.selected_in_cohort(conn, cohort_code)
        outcomes = rules.selection(
            review.stages,
            [_candidate(r, last, scores[str(r["id"])]) for r in rows],
            seats=max(review.seats - taken, 0),
            reserve=reserve,
            first_rank=highest + 1,
        )
        by_id = {str(r["id"]): r for r in rows}
        for outcome in outcomes:
            row = by_id[outcome.application_id]
            await repository.set_stage(
                conn,
                row["id"],
                last.code,
                {**row["stage_scores"], last.code: scores[str(row["id"])]},
            )
            await apply_decision(
                conn,
                row,
                Decision(row["id"], "accepted" if outcome.passed else "rejected", outcome.rank),
                reason=f"{reason}: {outcome.reason}",
                actor=staff.id,
                final_score=outcome.score,
                correlation_id=correlation_id,
            )
    return outcomes


async def cohort_ranking(
    pool: asyncpg.Pool, cohort_code: str, *, staff: StaffPrincipal
) -> tuple[CohortReview, list[dict[str, Any]]]:
    """Every eligible application of the cohort with its stage scores (the current stage's as
    far as scored), final score and rank: decided ranks first, then by final score."""
    async with pool.acquire() as conn:
        review = await repository.cohort_review(conn, cohort_code)
        if review is None:
            raise NotFound(f"no cohort {cohort_code}")
        require_manager(staff, review.program_code)
        rows = await repository.cohort_applications(conn, cohort_code)
        live: dict[tuple[str, str], list[dict[str, int]]] = defaultdict(list)
        for stage in review.stages:
            for a in await reviews.stage_assignments(conn, cohort_code, stage.code):
                if a["conflict_reason"] is None and a["scores"] is not None:
                    live[(str(a["application_id"]), stage.code)].append(a["scores"])
    result = []
    for row in rows:
        stage_scores = dict(row["stage_scores"])
        for stage in review.stages:
            if stage.code not in stage_scores:
                score = rules.stage_score(stage, live[(str(row["id"]), stage.code)])
                if score is not None:
                    stage_scores[stage.code] = score
        final = row["final_score"]
        if final is None and all(s.code in stage_scores for s in review.stages):
            final = rules.final_score(review.stages, stage_scores)
        result.append({**dict(row), "stage_scores": stage_scores, "final_score": final})
    # Undecided ones in the order selection will give them (its tie-break, not arrival alone).
    complete = [
        rules.Candidate(str(r["id"]), r["created_at"], r["stage_scores"])
        for r in result
        if all(stage.code in r["stage_scores"] for stage in review.stages)
    ]
    place = {c.application_id: i for i, c in enumerate(rules.ranking(review.stages, complete))}
    result.sort(
        key=lambda r: (
            r["rank"] is None,
            r["rank"] or 0,
            place.get(str(r["id"]), len(place)),
            r["created_at"],
            str(r["id"]),
        )
    )
    return review, result
