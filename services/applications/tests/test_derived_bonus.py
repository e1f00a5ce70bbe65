"""가점 derived from declared answers (`domain/bonus.py`), worked by hand: which items the
answers earn, and the cap over derived and granted items alike."""

from __future__ import annotations

import pytest

from aihub_applications.domain.bonus import capped_total, earned_by_answers
from aihub_shared.contracts.programs import BonusItem

YOUTH = BonusItem(
    code="youth-founder",
    name_ko="청년 창업자",
    name_en="Young founder",
    points=1.5,
    answer_key="founder_age",
    answer_value="under-39",
)
SEOUL = BonusItem(
    code="seoul-based",
    name_ko="서울 소재",
    name_en="Based in Seoul",
    points=1,
    answer_key="hq_city",
    answer_value="Seoul",
)
WOMEN = BonusItem(code="women-owned", name_ko="여성 기업", name_en="Women-owned", points=1)
ITEMS = [YOUTH, SEOUL, WOMEN]


@pytest.mark.parametrize(
    ("answers", "earned"),
    [
        ({"founder_age": "under-39", "hq_city": "Seoul"}, ["youth-founder", "seoul-based"]),
        ({"founder_age": " Under-39 ", "hq_city": "SEOUL"}, ["youth-founder", "seoul-based"]),
        ({"founder_age": "40-49", "hq_city": "Seoul, Gangnam"}, []),  # equal, not contained
        ({"hq_city": "Seoul"}, ["seoul-based"]),
        ({}, []),
        # A manager's item is never derived, whatever the answers say.
        ({"women-owned": "yes", "founder_age": "under-39"}, ["youth-founder"]),
    ],
)
def test_which_items_the_answers_earn(answers: dict[str, str], earned: list[str]) -> None:
    assert [i.code for i in earned_by_answers(ITEMS, answers)] == earned


def test_derived_and_granted_items_share_the_cap() -> None:
    """1.5 (derived) + 1 (derived) + 1 (a manager's) = 3.5, capped at 2; without the cap 3.5;
    the derived 1.5 alone stays 1.5."""
    everything = ["youth-founder", "seoul-based", "women-owned"]
    assert capped_total(ITEMS, everything, 2.0) == 2.0
    assert capped_total(ITEMS, everything, None) == 3.5
    assert capped_total(ITEMS, ["youth-founder"], 2.0) == 1.5


def test_a_derivation_names_both_the_answer_and_the_value() -> None:
    with pytest.raises(ValueError, match="go together"):
        BonusItem(code="xx", name_ko="x", name_en="x", points=1, answer_key="founder_age")
