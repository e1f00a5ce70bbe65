"""One stored application as the use cases read it (typed, instead of a raw database row), and
the rule that a rank is held once per cohort."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from aihub_applications.domain.lifecycle import Lifecycle
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import RuleBroken, Status


class ApplicationRef(TypedDict):
    """What every event about one application names it by (the fields its contracts share)."""

    application_id: str
    program_code: str
    cohort_code: str
    startup_name: str


@dataclass(frozen=True)
class Application:
    id: uuid.UUID
    status: Status
    program_code: str
    cohort_code: str
    startup_name: str
    business_registration_number: str
    #: The review stage while `received`; None means the cohort's first stage.
    stage_code: str | None
    #: Each closed stage's score, by stage code.
    stage_scores: Mapping[str, float]
    rank: int | None
    final_score: float | None
    created_at: datetime

    @property
    def ref(self) -> ApplicationRef:
        return ApplicationRef(
            application_id=str(self.id),
            program_code=self.program_code,
            cohort_code=self.cohort_code,
            startup_name=self.startup_name,
        )

    def lifecycle(self, review: CohortReview) -> Lifecycle:
        """Its place in the cohort's review; a stage the cohort no longer has counts as the
        first (the catalog may change the stages while applications are in review)."""
        index = review.stage_index(self.stage_code) if self.stage_code else 0
        return Lifecycle(
            status=self.status,
            stage_index=index or 0,
            stage_count=len(review.stages),
            rank=self.rank,
        )

    def scores_with(self, stage_code: str, score: float) -> dict[str, float]:
        """Its stage scores once `stage_code` closed with `score`."""
        return {**self.stage_scores, stage_code: score}


def require_rank_free(application: Application, rank: int, holder: str | None) -> None:
    """A rank is held by one application of a cohort: giving it to another is refused (the
    caller holds the cohort lock, so two committees cannot hand out one rank at once)."""
    if holder is not None and holder != str(application.id):
        raise RuleBroken(
            f"rank {rank} in cohort {application.cohort_code} is already held by"
            f" application {holder}"
        )


class RankBook:
    """Who holds which rank of a cohort while a run of decisions is applied in memory, one after
    the other, as it would be stored one decision at a time: a rank taken earlier in the run is
    held, and the rank an application gives up for another is free again."""

    def __init__(self, holders: Mapping[tuple[str, int], str]) -> None:
        #: (cohort, rank) → holder, for at least every place the run asks for.
        self._holders = dict(holders)
        #: The rank each application of the run holds now, once the run has changed it.
        self._ranks: dict[uuid.UUID, int | None] = {}

    def holder(self, cohort_code: str, rank: int) -> str | None:
        return self._holders.get((cohort_code, rank))

    def rank_of(self, application: Application) -> int | None:
        return self._ranks.get(application.id, application.rank)

    def give(self, application: Application, rank: int) -> None:
        """The application now holds `rank` (and no longer the one it held)."""
        cohort, held = application.cohort_code, self.rank_of(application)
        if held is not None and self._holders.get((cohort, held)) == str(application.id):
            del self._holders[(cohort, held)]
        self._holders[(cohort, rank)] = str(application.id)
        self._ranks[application.id] = rank
