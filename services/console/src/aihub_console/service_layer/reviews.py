"""How a reviewer's assignments are laid out: grouped per cohort and stage, pending before done;
which of an application's assignments its page shows. Pure: the services decide what is
pending, open or closed; this only arranges their answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aihub_console.adapters.applications_api import MyReview, Named


@dataclass
class ReviewGroup:
    cohort_code: str
    program_name: Named
    stage_code: str
    stage_name: Named
    pending: list[MyReview] = field(default_factory=list)
    done: list[MyReview] = field(default_factory=list)


def grouped(reviews: Sequence[MyReview]) -> list[ReviewGroup]:
    """Per cohort and stage, in the order the service gave (soonest due first); groups with
    something pending first."""
    groups: dict[tuple[str, str], ReviewGroup] = {}
    for review in reviews:
        key = (review.cohort_code, review.stage_code)
        group = groups.setdefault(
            key,
            ReviewGroup(
                review.cohort_code, review.program_name, review.stage_code, review.stage_name
            ),
        )
        (group.pending if review.pending else group.done).append(review)
    return sorted(groups.values(), key=lambda g: not g.pending)


def shown_assignment(reviews: Sequence[MyReview], stage_code: str | None) -> MyReview | None:
    """The assignment an application's page shows: the asked stage; else the one still open
    (and not recused from); else the latest assigned."""
    if stage_code is not None:
        return next((r for r in reviews if r.stage_code == stage_code), None)
    open_ones = [r for r in reviews if r.stage_open and r.conflict_reason is None]
    if open_ones:
        return open_ones[0]
    return max(reviews, key=lambda r: r.assigned_at, default=None)
