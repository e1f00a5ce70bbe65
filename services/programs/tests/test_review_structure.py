"""The scoring shape of a cohort is fixed once its application window has opened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aihub_programs.domain.review_structure import locked_structure_problems
from aihub_shared.contracts.programs import ReviewStage, default_review_stages

OPENED = datetime(2027, 3, 1, tzinfo=UTC)
BEFORE, AFTER = OPENED - timedelta(seconds=1), OPENED


def edited(stages: list[ReviewStage], index: int, **change: object) -> list[ReviewStage]:
    return [s.model_copy(update=change) if i == index else s for i, s in enumerate(stages)]


def test_before_the_window_opens_everything_may_change() -> None:
    stages = default_review_stages()
    only_one = [stages[0].model_copy(update={"weight": 100, "criteria": stages[0].criteria[:1]})]
    assert locked_structure_problems(stages, only_one, window_opened_at=OPENED, now=BEFORE) == []


def test_once_open_names_and_rules_may_change_but_not_the_scoring_shape() -> None:
    stages = default_review_stages()
    renamed = edited(
        stages,
        0,
        name_en="Papers",
        min_reviewers=3,
        cutoff_score=40.0,
        blind=True,
        pledge_required=True,
    )
    renamed = edited(
        renamed,
        1,
        criteria=[
            c.model_copy(update={"name_ko": "새 이름", "cutoff": 30.0})
            for c in reversed(stages[1].criteria)
        ],
    )
    assert locked_structure_problems(stages, renamed, window_opened_at=OPENED, now=AFTER) == []


def test_once_open_a_criterion_cannot_be_lost_added_or_reweighted() -> None:
    stages = default_review_stages()
    lost = edited(stages, 1, criteria=stages[1].criteria[:-1])
    [problem] = locked_structure_problems(stages, lost, window_opened_at=OPENED, now=AFTER)
    loc, reason = problem.loc, problem.msg
    assert loc == ("review_stages", 1, "criteria")
    assert problem.code == "criteria_fixed"
    assert problem.params["stage"] == stages[1].code
    assert "hub-fit (50)" in str(problem.params["criteria"])
    assert stages[1].code in reason
    assert "application window opened" in reason
    heavier = edited(
        stages,
        0,
        criteria=[stages[0].criteria[0].model_copy(update={"weight": 99}), *stages[0].criteria[1:]],
    )
    [problem] = locked_structure_problems(stages, heavier, window_opened_at=OPENED, now=AFTER)
    assert problem.loc == ("review_stages", 0, "criteria")


def test_once_open_stages_keep_their_codes_order_and_weights() -> None:
    stages = default_review_stages()
    for changed in (
        list(reversed(stages)),
        stages[:1],
        [stages[0].model_copy(update={"weight": 50}), stages[1].model_copy(update={"weight": 50})],
        edited(stages, 0, code="papers"),
    ):
        [(loc, reason, code, _)] = locked_structure_problems(
            stages, changed, window_opened_at=OPENED, now=AFTER
        )
        assert (loc, code) == (("review_stages",), "stages_fixed")
        assert "document-review 30%" in reason
