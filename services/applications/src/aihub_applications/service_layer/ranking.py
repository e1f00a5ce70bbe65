"""A cohort's ranking as the managers read it before and after selection: decided ranks first,
then the others in the order selection will give them, then the incompletely scored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import pairwise
from typing import Any

import asyncpg

from aihub_applications.adapters import repository
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.stage_scoring import StageResult
from aihub_applications.service_layer.bonus_points import BonusState, bonus_states
from aihub_applications.service_layer.kept import KeptComputations
from aihub_applications.service_layer.loaders import cohort_managed_by
from aihub_applications.service_layer.stage_scores import (
    stage_results as counting_stage_results,
)
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class RankingEntry:
    application: Application
    #: Closed stages' scores and the current stage's as far as scored.
    stage_scores: dict[str, float]
    final_score: float | None
    #: Each scored stage under its selection rules (raw and calibrated, dropped, spread, ...).
    stage_results: Mapping[str, StageResult]
    bonus: BonusState
    #: Set when it has the final score of the one ranked just above: the rule that decided.
    tie_broken_by: rules.TieBreak | None = None

    @property
    def cutoff_failures(self) -> list[str]:
        return [f for result in self.stage_results.values() for f in result.cutoff_failures]

    @property
    def candidate(self) -> rules.Candidate:
        a = self.application
        return rules.Candidate(str(a.id), a.created_at, self.stage_scores, bonus=self.bonus.total)

    def shown(self) -> dict[str, Any]:
        a = self.application
        return {
            "id": a.id,
            "startup_name": a.startup_name,
            "business_registration_number": a.business_registration_number,
            "status": a.status,
            "stage_code": a.stage_code,
            "stage_scores": self.stage_scores,
            "rank": a.rank,
            "final_score": self.final_score,
            "created_at": a.created_at,
            "tie_broken_by": asdict(self.tie_broken_by) if self.tie_broken_by else None,
            "stage_details": {code: _detail(r) for code, r in self.stage_results.items()},
            "bonus_points": self.bonus.total,
            "bonus_items": self.bonus.granted,
            "cutoff_failures": self.cutoff_failures,
        }


def _detail(result: StageResult) -> dict[str, Any]:
    return {
        "raw_score": result.raw_score,
        "calibrated_score": result.calibrated_score,
        "dropped_reviewers": list(result.dropped),
        "spread": result.spread,
        "criterion_averages": dict(result.criterion_averages),
        "reviews": result.reviews,
    }


#: A few cohorts' rankings (issue 16: computing the whole ranking for every page took 0.7-1.1 s
#: at 10,000 applications; a page is now a slice of the kept one).
_KEPT: KeptComputations[Sequence[RankingEntry]] = KeptComputations(size=4)


async def cohort_ranking(
    pool: asyncpg.Pool, cohort_code: str, *, staff: StaffPrincipal
) -> tuple[CohortReview, Sequence[RankingEntry]]:
    """Every eligible application of the cohort with its stage scores (the current stage's as
    far as scored), final score and rank: decided ranks first, then by final score. Computed
    again only when an input changed since the last time (`kept.py`)."""
    # One snapshot for the fingerprint and the inputs: a ranking is kept under the fingerprint
    # of exactly the state it was computed from.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        review = await cohort_managed_by(conn, cohort_code, staff)

        async def compute() -> Sequence[RankingEntry]:
            return tuple(await computed_ranking(conn, review))

        entries = await _KEPT.get_or_compute(conn, cohort_code, "ranking", compute)
    return review, entries


async def computed_ranking(conn: DbConnection, review: CohortReview) -> list[RankingEntry]:
    """The cohort's ranking computed from its inputs as they are now."""
    cohort_code = review.cohort_code
    applications = await repository.cohort_applications(conn, cohort_code)
    live = {
        stage.code: await counting_stage_results(conn, cohort_code, stage)
        for stage in review.stages
    }
    bonus = await bonus_states(conn, review, applications)
    entries = [_entry(a, review, live, bonus[str(a.id)]) for a in applications]
    return _with_tie_breaks(_in_ranking_order(entries, review), review)


def _entry(
    application: Application,
    review: CohortReview,
    live: Mapping[str, Mapping[str, StageResult]],
    bonus: BonusState,
) -> RankingEntry:
    stage_scores = dict(application.stage_scores)
    results: dict[str, StageResult] = {}
    for stage in review.stages:
        result = live[stage.code].get(str(application.id))
        if result is None:
            continue
        results[stage.code] = result
        if stage.code not in stage_scores and result.score is not None:
            stage_scores[stage.code] = result.score
    entry = RankingEntry(application, stage_scores, application.final_score, results, bonus)
    if entry.final_score is None and _complete(entry, review):
        return replace(entry, final_score=entry.candidate.final(review.stages))
    return entry


def _in_ranking_order(entries: list[RankingEntry], review: CohortReview) -> list[RankingEntry]:
    # Undecided ones in the order selection will give them (its tie-break, not arrival alone).
    complete = [e.candidate for e in entries if _complete(e, review)]
    place = {c.application_id: i for i, c in enumerate(rules.ranking(review.stages, complete))}
    return sorted(
        entries,
        key=lambda e: (
            e.application.rank is None,
            e.application.rank or 0,
            place.get(str(e.application.id), len(place)),
            e.application.created_at,
            str(e.application.id),
        ),
    )


def _complete(entry: RankingEntry, review: CohortReview) -> bool:
    return all(stage.code in entry.stage_scores for stage in review.stages)


def _with_tie_breaks(entries: list[RankingEntry], review: CohortReview) -> list[RankingEntry]:
    """Each fully scored entry that ties with the one above it names the rule that decided."""
    shown = entries[:1]
    for above, entry in pairwise(entries):
        tie = None
        if _complete(above, review) and _complete(entry, review):
            tie = rules.tie_broken_by(review.stages, above.candidate, entry.candidate)
        shown.append(replace(entry, tie_broken_by=tie) if tie else entry)
    return shown
