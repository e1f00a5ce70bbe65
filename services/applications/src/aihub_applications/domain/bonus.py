"""가점 (bonus points): which of the cohort's items may be granted and what they add (pure).

Bonus points are added to the final score after the stages are averaged (never to a stage
score, so they never lift an application over a cut-off); their sum is capped per cohort.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aihub_applications.domain.review import SCORE_DIGITS
from aihub_shared.contracts.programs import BonusItem
from aihub_shared.refusals import NotFound


def item_of(items: Sequence[BonusItem], code: str) -> BonusItem:
    """The cohort's bonus item `code`; 404 naming the items there are when it has none such."""
    for item in items:
        if item.code == code:
            return item
    offered = ", ".join(i.code for i in items) or "none"
    raise NotFound(f"the cohort has no bonus item {code} (its items: {offered})")


def earned_by_answers(items: Sequence[BonusItem], answers: Mapping[str, str]) -> list[BonusItem]:
    """The cohort's items derived from declared answers that these answers earn: the named
    answer equals the item's value, ignoring letter case and surrounding spaces. Items without
    a derivation are a manager's to grant and never appear here."""
    return [
        item
        for item in items
        if item.answer_key is not None
        and item.answer_value is not None
        and _same(answers.get(item.answer_key), item.answer_value)
    ]


def _same(answer: str | None, value: str) -> bool:
    return answer is not None and answer.strip().casefold() == value.strip().casefold()


def capped_total(items: Sequence[BonusItem], granted: Iterable[str], cap: float | None) -> float:
    """The bonus an application's final score gains: its granted items' points, at most `cap`.
    A granted item the cohort no longer offers adds nothing."""
    points = {i.code: i.points for i in items}
    total = sum(points.get(code, 0.0) for code in set(granted))
    if cap is not None:
        total = min(total, cap)
    return round(total, SCORE_DIGITS)
