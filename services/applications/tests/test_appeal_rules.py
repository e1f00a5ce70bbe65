"""이의제기 (appeals), pure: the appeal window counted from the decision, what is refused and
why, the one way back from `rejected`, and what an applicant is told — worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aihub_applications.domain.appeals import (
    CodedRefusal,
    appeal_deadline,
    disclosure,
    require_open,
)
from aihub_applications.domain.lifecycle import Lifecycle
from aihub_applications.domain.review import ReviewAssignment
from aihub_applications.domain.stage_scoring import StageResult, stage_results
from aihub_applications.domain.status import RuleBroken, Status
from aihub_shared.contracts.programs import ReviewStage

DECIDED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def stage(**rules: object) -> ReviewStage:
    return ReviewStage.model_validate(
        {
            "code": "doc",
            "name_ko": "서류평가",
            "name_en": "Document review",
            "weight": 100,
            "min_reviewers": 2,
            "criteria": [
                {"code": "tech", "name_ko": "기술성", "name_en": "Tech", "weight": 3, "cutoff": 50},
                {"code": "market", "name_ko": "시장성", "name_en": "Market", "weight": 1},
            ],
            **rules,
        }
    )


def test_an_appeal_is_in_time_up_to_the_last_moment_of_the_window() -> None:
    seven_days = stage(appeal_window_days=7)
    deadline = DECIDED + timedelta(days=7)
    assert appeal_deadline(Status.REJECTED, seven_days, DECIDED, deadline) == deadline
    with pytest.raises(CodedRefusal) as late:
        appeal_deadline(Status.REJECTED, seven_days, DECIDED, deadline + timedelta(seconds=1))
    assert late.value.code == "appeal_window_closed"
    assert "2026-11-09T09:00:00+00:00" in str(late.value)


@pytest.mark.parametrize(
    ("status", "rules", "decided_at", "code"),
    [
        (Status.REJECTED, {}, DECIDED, "appeals_not_offered"),  # today's behaviour: no appeals
        (Status.RECEIVED, {"appeal_window_days": 7}, None, "not_rejected"),
        (Status.INELIGIBLE, {"appeal_window_days": 7}, None, "not_rejected"),
        (Status.ACCEPTED, {"appeal_window_days": 7}, None, "not_rejected"),
    ],
)
def test_what_cannot_be_appealed_is_refused_with_its_code(
    status: Status, rules: dict[str, object], decided_at: datetime | None, code: str
) -> None:
    with pytest.raises(CodedRefusal) as refused:
        appeal_deadline(status, stage(**rules), decided_at, DECIDED)
    assert refused.value.code == code
    assert isinstance(refused.value, RuleBroken)  # a 409 over HTTP


def test_an_appeal_is_decided_once() -> None:
    require_open("a1", "open")
    with pytest.raises(RuleBroken, match="already decided: upheld"):
        require_open("a1", "upheld")


def test_only_a_rejection_is_reinstated_and_in_the_stage_it_was_rejected_in() -> None:
    rejected = Lifecycle(Status.REJECTED, stage_index=1, stage_count=2)
    assert rejected.reinstate() == Lifecycle(Status.RECEIVED, stage_index=1, stage_count=2)
    for status in (Status.RECEIVED, Status.WITHDRAWN, Status.INELIGIBLE):
        with pytest.raises(RuleBroken, match="cannot reinstate"):
            Lifecycle(status, stage_index=0, stage_count=2).reinstate()


def _results(s: ReviewStage) -> dict[str, StageResult]:
    # Two reviewers of app "a": tech 40 and 60 (average 50), market 80 and 100 (average 90).
    # Review scores, tech weighing 3 and market 1: (40×3 + 80)/4 = 50 and (60×3 + 100)/4 = 70,
    # so the stage score is (50 + 70)/2 = 60.
    reviews = [
        ReviewAssignment("a", "r1@hub.example", None, {"tech": 40, "market": 80}),
        ReviewAssignment("a", "r2@hub.example", None, {"tech": 60, "market": 100}),
    ]
    return stage_results(s, reviews)


def test_disclosure_tells_the_score_and_cutoff_and_the_criteria_only_where_the_cohort_says() -> (
    None
):
    full = stage(appeal_disclosure="score_and_criteria", cutoff_score=65)
    told = disclosure(full, _results(full)["a"])
    assert (told.level, told.stage_score, told.cutoff_score) == ("score_and_criteria", 60.0, 65)
    assert [(c.code, c.average, c.cutoff) for c in told.criteria] == [
        ("tech", 50.0, 50),
        ("market", 90.0, None),
    ]
    # Nothing names a reviewer or carries one review's score.
    dumped = told.model_dump_json()
    for single in ("r1@hub.example", "r2@hub.example", "40.0", "70.0"):
        assert single not in dumped

    score_only = stage(appeal_disclosure="score")
    told = disclosure(score_only, _results(score_only)["a"])
    assert (told.stage_score, told.cutoff_score, told.criteria) == (60.0, None, [])

    nothing = stage()
    told = disclosure(nothing, _results(nothing)["a"])
    assert (told.level, told.stage_score, told.criteria) == ("none", None, [])


def test_a_stage_without_a_score_for_the_application_discloses_no_figures() -> None:
    told = disclosure(stage(appeal_disclosure="score_and_criteria", cutoff_score=60), None)
    assert (told.stage_score, told.cutoff_score, told.criteria) == (None, 60, [])
