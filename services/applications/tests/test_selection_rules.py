"""The selection rules of a stage and a cohort, pure: trimmed mean (최고·최저점 제외), cut-offs
(과락), bonus points (가점) and calibration (z-score). Worked examples are computed by hand in
the comments; the properties say a rule switched off gives exactly today's numbers, and the
ranking stays total and independent of input order with every rule on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_applications.domain.bonus import capped_total, item_of
from aihub_applications.domain.review import (
    Candidate,
    ReviewAssignment,
    advancement,
    ranking,
    selection,
    stage_score,
)
from aihub_applications.domain.stage_scoring import stage_results
from aihub_shared.contracts.programs import (
    BonusItem,
    ReviewStage,
    default_review_stages,
)
from aihub_shared.refusals import NotFound

DOC, PRES = default_review_stages()
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def one_criterion_stage(**rules: object) -> ReviewStage:
    """A stage whose review score is the one criterion's score (easy to compute by hand)."""
    return ReviewStage.model_validate(
        {
            "code": "doc",
            "name_ko": "서류평가",
            "name_en": "Document review",
            "weight": 100,
            "criteria": [{"code": "xx", "name_ko": "x", "name_en": "x", "weight": 1}],
            "min_reviewers": 1,
            **rules,
        }
    )


def scored(app: str, reviewer: str, **scores: int) -> ReviewAssignment:
    return ReviewAssignment(app, reviewer, None, scores)


# --- trimmed mean -------------------------------------------------------------------------


def test_the_trimmed_mean_drops_one_highest_and_one_lowest_even_when_tied() -> None:
    stage = one_criterion_stage(trim_extremes_from=5)
    reviews = [
        scored("a", "r1", xx=90),
        scored("a", "r2", xx=90),
        scored("a", "r3", xx=70),
        scored("a", "r4", xx=60),
        scored("a", "r5", xx=60),
    ]
    result = stage_results(stage, reviews)["a"]
    # One 90 and one 60 go (of tied ones: the larger id high, the smaller id low); (90+70+60)/3
    assert result.score == 73.3333
    assert result.dropped == ("r4", "r2")
    assert result.spread == 30.0
    assert result.raw_score == result.score
    assert result.calibrated_score is None


def test_below_the_trim_threshold_every_review_counts() -> None:
    stage = one_criterion_stage(trim_extremes_from=5)
    reviews = [scored("a", f"r{i}", xx=x) for i, x in enumerate([90, 90, 70, 60])]
    result = stage_results(stage, reviews)["a"]
    assert result.score == 77.5  # (90+90+70+60)/4
    assert result.dropped == ()


# --- cut-offs ----------------------------------------------------------------------------


def test_a_cut_off_overrides_the_rank() -> None:
    stage = ReviewStage.model_validate(
        {
            **one_criterion_stage().model_dump(),
            "criteria": [
                {"code": "tech", "name_ko": "기술성", "name_en": "Tech", "weight": 1, "cutoff": 50},
                {"code": "market", "name_ko": "시장성", "name_en": "Market", "weight": 1},
            ],
            "cutoff_score": 55,
            "advance_top_k": 1,
        }
    )
    assignments = [
        # a: (40+100)/2 = 70 per review, the best score, but technology averages 40 < 50
        scored("a", "r1", tech=40, market=100),
        scored("a", "r2", tech=40, market=100),
        # b: 60, passes both cut-offs
        scored("b", "r1", tech=60, market=60),
        scored("b", "r2", tech=60, market=60),
        # c: 50 < the stage's cut-off 55
        scored("c", "r1", tech=50, market=50),
        scored("c", "r2", tech=50, market=50),
    ]
    results = stage_results(stage, assignments)
    candidates = [
        Candidate(app, T0, {"doc": r.score or 0.0}, cutoff_failures=r.cutoff_failures)
        for app, r in results.items()
    ]
    outcomes = {o.application_id: o for o in advancement(stage, candidates)}
    assert not outcomes["a"].passed
    assert outcomes["a"].reason == "doc: tech average 40.00 is below the cut-off 50"
    # b is second by score: the one place (top-1) a could not take is b's
    assert outcomes["b"].passed
    assert outcomes["b"].reason == "doc: score 60.00, place 1"
    assert not outcomes["c"].passed
    assert outcomes["c"].reason == "doc: score 50.00 is below the cut-off 55"


def test_a_cut_off_refuses_selection_whatever_the_bonus() -> None:
    stages = [PRES.model_copy(update={"weight": 100, "cutoff_score": 60.0})]
    failing = Candidate(
        "a",
        T0,
        {PRES.code: 59.0},
        bonus=2.0,
        cutoff_failures=("presentation-review: score 59.00 is below the cut-off 60",),
    )
    passing = Candidate("b", T0, {PRES.code: 60.0})
    outcomes = selection(stages, [failing, passing], seats=2, reserve=0)
    assert [(o.application_id, o.passed, o.rank) for o in outcomes] == [
        ("a", False, None),
        ("b", True, 1),
    ]
    assert outcomes[0].score == 61.0  # 59 + 2: ranked first, still refused


# --- bonus points ------------------------------------------------------------------------

ITEMS = (
    BonusItem(code="youth-founder", name_ko="청년 창업자", name_en="Young founder", points=1),
    BonusItem(code="women-owned", name_ko="여성 기업", name_en="Women-owned", points=1),
    BonusItem(code="seoul-based", name_ko="서울 소재", name_en="Seoul", points=0.5),
)


def test_bonus_points_hit_the_cap() -> None:
    assert capped_total(ITEMS, ["youth-founder", "seoul-based"], 2.0) == 1.5
    # 1 + 1 + 0.5 = 2.5, capped at 2
    assert capped_total(ITEMS, ["youth-founder", "women-owned", "seoul-based"], 2.0) == 2.0
    assert capped_total(ITEMS, ["youth-founder", "women-owned", "seoul-based"], None) == 2.5
    # an item the cohort no longer offers adds nothing; one granted twice counts once
    assert capped_total(ITEMS, ["gone", "seoul-based", "seoul-based"], None) == 0.5


def test_an_unknown_bonus_item_is_refused_naming_the_items() -> None:
    with pytest.raises(NotFound, match="youth-founder, women-owned, seoul-based"):
        item_of(ITEMS, "veteran")


def test_bonus_points_are_added_after_averaging_and_can_change_the_order() -> None:
    # final = 30% doc + 70% presentation (+ bonus): a = 80.0 + 2 = 82.0; b = 81.5
    a = Candidate("a", T0, {DOC.code: 80.0, PRES.code: 80.0}, bonus=2.0)
    b = Candidate("b", T0, {DOC.code: 81.5, PRES.code: 81.5})
    assert [c.application_id for c in ranking([DOC, PRES], [b, a])] == ["a", "b"]
    assert a.final([DOC, PRES]) == 82.0


# --- calibration -------------------------------------------------------------------------


def test_z_scores_of_a_harsh_and_a_lenient_reviewer() -> None:
    stage = one_criterion_stage(calibration="z-score")
    assignments = [
        # harsh h: x 60, y 40 -> mean 50, sd 10 -> x 60, y 40
        scored("x", "h", xx=60),
        scored("y", "h", xx=40),
        # lenient l: x 90, y 100, z 80 -> mean 90, sd sqrt(200/3) = 8.1650
        #   -> x 50, y 50 + 10*10/8.1650 = 62.2474, z 37.7526
        scored("x", "l", xx=90),
        scored("y", "l", xx=100),
        scored("z", "l", xx=80),
    ]
    results = stage_results(stage, assignments)
    assert (results["x"].raw_score, results["x"].calibrated_score) == (75.0, 55.0)
    assert (results["y"].raw_score, results["y"].calibrated_score) == (70.0, 51.1237)
    assert (results["z"].raw_score, results["z"].calibrated_score) == (80.0, 37.7526)
    # Raw, z led only because the lenient reviewer alone read it; calibrated, it is last.
    assert [a for a, _ in sorted(results.items(), key=lambda kv: -(kv[1].score or 0))] == [
        "x",
        "y",
        "z",
    ]
    assert results["x"].spread == 30.0  # 90 - 60, raw: the reviewers disagree


def test_a_reviewer_without_spread_calibrates_to_50() -> None:
    stage = one_criterion_stage(calibration="z-score")
    results = stage_results(stage, [scored("a", "once", xx=95), scored("b", "flat", xx=70)])
    assert results["a"].calibrated_score == 50.0
    assert results["b"].calibrated_score == 50.0


def test_calibrated_reviews_are_trimmed_on_their_calibrated_scores() -> None:
    stage = one_criterion_stage(calibration="z-score", trim_extremes_from=3)
    assignments = [scored(app, r, xx=s) for r, row in _GRID.items() for app, s in row.items()]
    result = stage_results(stage, assignments)["a"]
    # On "a": r1 60 (its mean 50, sd 10 -> 60), r2 90 (mean 80, sd 10 -> 60), r3 55 (mean 65,
    # sd 10 -> 40). Calibrated 60, 60, 40: r3 (40) and r2 (60, larger id) dropped; r1 kept.
    assert result.dropped == ("r3", "r2")
    assert result.calibrated_score == 60.0
    assert result.raw_score == 60.0


_GRID = {"r1": {"a": 60, "b": 40}, "r2": {"a": 90, "b": 70}, "r3": {"a": 55, "b": 75}}


# --- properties --------------------------------------------------------------------------

criterion_scores = st.fixed_dictionaries({c.code: st.integers(0, 100) for c in DOC.criteria})


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.lists(criterion_scores, min_size=1, max_size=6),
        min_size=1,
    )
)
def test_with_every_rule_off_a_stage_score_is_exactly_todays(
    reviews: dict[str, list[dict[str, int]]],
) -> None:
    assignments = [
        scored(app, f"r{i}", **s) for app, rows in reviews.items() for i, s in enumerate(rows)
    ]
    results = stage_results(DOC, assignments)
    for app, rows in reviews.items():
        assert results[app].score == stage_score(DOC, rows)
        assert results[app].cutoff_failures == ()
        assert results[app].dropped == ()


ALL_ON = DOC.model_copy(
    update={
        "trim_extremes_from": 3,
        "calibration": "z-score",
        "cutoff_score": 40.0,
        "min_reviewers": 1,
        "criteria": [c.model_copy(update={"cutoff": 30.0}) for c in DOC.criteria],
        "weight": 100,
    }
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e"]),
            st.sampled_from(["r1", "r2", "r3", "r4"]),
            criterion_scores,
        ),
        min_size=1,
        max_size=20,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.sampled_from([0.5, 1.0, 2.0])),
    st.randoms(use_true_random=False),
)
def test_with_every_rule_on_the_ranking_is_total_and_independent_of_input_order(
    rows: list[tuple[str, str, dict[str, int]]],
    bonus: dict[str, float],
    shuffler: random.Random,
) -> None:
    assignments = [scored(app, reviewer, **s) for app, reviewer, s in rows]
    shuffled = list(assignments)
    shuffler.shuffle(shuffled)
    results = stage_results(ALL_ON, assignments)
    assert stage_results(ALL_ON, shuffled) == results

    def candidates(order: list[str]) -> list[Candidate]:
        return [
            Candidate(
                app,
                T0 + timedelta(minutes=len(app) % 2),
                {ALL_ON.code: results[app].score or 0.0},
                bonus=bonus.get(app, 0.0),
                cutoff_failures=results[app].cutoff_failures,
            )
            for app in order
        ]

    apps = sorted(results)
    reordered = list(apps)
    shuffler.shuffle(reordered)
    first = [c.application_id for c in ranking([ALL_ON], candidates(apps))]
    assert [c.application_id for c in ranking([ALL_ON], candidates(reordered))] == first
    assert sorted(first) == apps  # every application once: the order is total
    decided = selection([ALL_ON], candidates(reordered), seats=2, reserve=1)
    assert [o.application_id for o in decided] == first
    assert all(not o.passed for o in decided if results[o.application_id].cutoff_failures)


def test_a_panel_with_too_few_external_reviewers_is_refused_with_the_figures() -> None:
    from aihub_applications.domain.panel import require_external_share
    from aihub_applications.domain.status import RuleBroken

    stage = DOC.model_copy(update={"min_external_share": 0.5})
    require_external_share(stage, {"in@hub": False, "out@uni": True})  # 1 of 2: enough
    require_external_share(DOC, {"in@hub": False})  # no rule, no check
    with pytest.raises(RuleBroken, match=r"1 of 3 reviewers are external \(33%\).*50%"):
        require_external_share(stage, {"a": False, "b": False, "c": True})
    with pytest.raises(RuleBroken, match="0 of 0"):
        require_external_share(stage, {})


def test_the_panel_check_answers_its_figures_whether_met_or_not() -> None:
    from aihub_applications.domain.panel import panel_check

    stage = DOC.model_copy(update={"min_external_share": 0.4})
    met = panel_check(stage, {"a": True, "b": False, "c": True})
    assert (met.reviewers, met.external, met.min_external_share) == (3, 2, 0.4)
    assert met.share == pytest.approx(2 / 3)
    assert met.satisfied
    short = panel_check(stage, {"a": False, "b": False, "c": True})
    assert short.share == pytest.approx(1 / 3)
    assert not short.satisfied
    assert panel_check(DOC, {"a": False}).satisfied  # no rule: nothing to miss
    assert not panel_check(stage, {}).satisfied  # nobody yet: 0 %
