"""Where a cohort's review stands, as its managers follow it: how many applications are in each
status and stage, and how far each reviewer of a stage has got. Pure rules, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import Status


@dataclass(frozen=True)
class StatusCount:
    """How many of a cohort's applications share a status and a stage (as stored)."""

    status: Status
    stage_code: str | None
    count: int


@dataclass(frozen=True)
class Pipeline:
    by_status: dict[str, int]
    #: Applications in review (`received`) per stage code, in the cohort's stage order.
    in_review_by_stage: dict[str, int]
    total: int


def pipeline(review: CohortReview, counts: Iterable[StatusCount]) -> Pipeline:
    """Counts per status (every status, zero included) and, for those in review, per stage.
    An application with no stage, or one the cohort no longer has, is in the first stage (as
    `Application.lifecycle` places it)."""
    by_status = dict.fromkeys((s.value for s in Status), 0)
    by_stage = dict.fromkeys((s.code for s in review.stages), 0)
    for row in counts:
        by_status[row.status.value] += row.count
        if row.status is Status.RECEIVED:
            index = review.stage_index(row.stage_code) if row.stage_code else None
            by_stage[review.stages[index or 0].code] += row.count
    return Pipeline(by_status, by_stage, sum(by_status.values()))


@dataclass(frozen=True)
class AssignmentState:
    """Assignments of a stage in one state (`count` of them), as much as progress needs."""

    reviewer_id: str
    reviewer_name: str
    conflict: bool
    scored: bool
    due_at: datetime | None
    #: The application is still in review in this stage (else nothing of it can be late).
    open: bool
    count: int = 1


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer_id: str
    reviewer_name: str
    #: Assignments that count (not recused from).
    assigned: int
    scored: int
    conflicts: int
    #: Assigned, not scored, and past their due time.
    overdue: int


def reviewer_progress(
    pool: Mapping[str, str], assignments: Iterable[AssignmentState], now: datetime
) -> list[ReviewerProgress]:
    """Each reviewer of the stage's pool (in pool order), then anyone assigned who is not in
    it (by id): what they were given, scored, recused from, and let run late."""
    names = dict(pool)
    assigned: Counter[str] = Counter()
    scored: Counter[str] = Counter()
    conflicts: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for a in assignments:
        names.setdefault(a.reviewer_id, a.reviewer_name)
        if a.conflict:
            conflicts[a.reviewer_id] += a.count
            continue
        assigned[a.reviewer_id] += a.count
        if a.scored:
            scored[a.reviewer_id] += a.count
        elif a.open and a.due_at is not None and a.due_at < now:
            overdue[a.reviewer_id] += a.count
    outside = sorted(set(names) - set(pool))
    return [
        ReviewerProgress(r, names[r], assigned[r], scored[r], conflicts[r], overdue[r])
        for r in [*pool, *outside]
    ]
