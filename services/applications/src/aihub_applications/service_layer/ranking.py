"""A cohort's ranking as the managers read it before and after selection: decided ranks first,
then the others in the order selection will give them, then the incompletely scored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import pairwise
from typing import Any

import asyncpg

from aihub_applications.adapters import repository, reviews
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.review import CohortReview
from aihub_applications.service_layer.loaders import cohort_managed_by
from aihub_shared.identity import StaffPrincipal


@dataclass(frozen=True)
class RankingEntry:
    application: Application
    #: Closed stages' scores and the current stage's as far as scored.
    stage_scores: dict[str, float]
    final_score: float | None
    #: Set when it has the final score of the one ranked just above: the rule that decided.
    tie_broken_by: rules.TieBreak | None = None

    @property
    def candidate(self) -> rules.Candidate:
        a = self.application
        return rules.Candidate(str(a.id), a.created_at, self.stage_scores)

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
        }


async def cohort_ranking(
    pool: asyncpg.Pool, cohort_code: str, *, staff: StaffPrincipal
) -> tuple[CohortReview, list[RankingEntry]]:
    """Every eligible application of the cohort with its stage scores (the current stage's as
    far as scored), final score and rank: decided ranks first, then by final score."""
    async with pool.acquire() as conn:
        review = await cohort_managed_by(conn, cohort_code, staff)
        applications = await repository.cohort_applications(conn, cohort_code)
        live = {
            stage.code: rules.scored_reviews(
                await reviews.stage_assignments(conn, cohort_code, stage.code)
            )
            for stage in review.stages
        }
    entries = [_entry(a, review, live) for a in applications]
    return review, _with_tie_breaks(_in_ranking_order(entries, review), review)


def _entry(
    application: Application,
    review: CohortReview,
    live: Mapping[str, Mapping[str, Sequence[Mapping[str, int]]]],
) -> RankingEntry:
    stage_scores = dict(application.stage_scores)
    for stage in review.stages:
        if stage.code not in stage_scores:
            score = rules.stage_score(stage, live[stage.code].get(str(application.id), []))
            if score is not None:
                stage_scores[stage.code] = score
    final = application.final_score
    if final is None and all(s.code in stage_scores for s in review.stages):
        final = rules.final_score(review.stages, stage_scores)
    return RankingEntry(application, stage_scores, final)


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
