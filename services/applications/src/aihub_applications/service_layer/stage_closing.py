"""What closing a stage decides on (`advancing.py`, `selection.py`): every application's stage
score (409 naming those not scored by enough reviewers), the candidates the domain ranks, and
the plan of who passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.stage_scoring import StageResult
from aihub_applications.domain.status import RuleBroken
from aihub_applications.service_layer.stage_scores import (
    stage_results as counting_stage_results,
)
from aihub_shared.contracts.programs import ReviewStage
from aihub_shared.runtime.db import DbConnection


async def scored_results(
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


def scored(results: Mapping[str, StageResult], application: Application) -> float:
    """The stage score of an application `scored_results` found scored."""
    score = _score(results.get(str(application.id)))
    if score is None:  # `scored_results` refused the unscored: a bug if reached
        raise AssertionError(f"{application.id} has no stage score")
    return score


def candidate(
    application: Application,
    stage: ReviewStage,
    results: Mapping[str, StageResult],
    bonus: float = 0.0,
) -> rules.Candidate:
    return rules.Candidate(
        application_id=str(application.id),
        received_at=application.created_at,
        stage_scores=application.scores_with(stage.code, scored(results, application)),
        bonus=bonus,
        cutoff_failures=results[str(application.id)].cutoff_failures,
    )


@dataclass(frozen=True)
class ClosingPlan:
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
    ) -> ClosingPlan:
        return cls(
            {str(a.id): a for a in applications},
            {str(a.id): scored(results, a) for a in applications},
            outcomes,
        )

    def decided(self) -> list[tuple[rules.Outcome, Application]]:
        return [(o, self.applications[o.application_id]) for o in self.outcomes]
