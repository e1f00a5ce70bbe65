"""The pure rules of staged review: scores, advancing, ranking, selection, assignment, and the
application's lifecycle under any sequence of commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_applications.domain.lifecycle import Lifecycle, is_legal
from aihub_applications.domain.review import (
    Candidate,
    advancement,
    final_score,
    plan_assignments,
    ranking,
    review_score,
    score_problems,
    selection,
    stage_score,
)
from aihub_applications.domain.status import TERMINAL, RuleBroken, Status
from aihub_shared.contracts.programs import ReviewStage, default_review_stages

DOC, PRES = default_review_stages()
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def candidate(app: str, doc: float, pres: float, minutes: int = 0) -> Candidate:
    return Candidate(app, T0 + timedelta(minutes=minutes), {DOC.code: doc, PRES.code: pres})


def test_a_review_score_is_the_weighted_mean_of_the_criteria() -> None:
    # technology 40, market 30, team 30
    assert review_score(DOC, {"technology": 100, "market": 50, "team": 0}) == 55.0


def test_score_problems_name_each_criterion() -> None:
    problems = score_problems(DOC, {"technology": 101, "market": 50, "bogus": 3})
    assert [(p.criterion, p.message, p.code) for p in problems] == [
        ("bogus", "stage document-review has no criterion bogus", "unknown_criterion"),
        ("team", "a score for this criterion is required", "score_required"),
        ("technology", "a score is a whole number from 0 to 100", "score_range"),
    ]


def test_a_stage_score_needs_min_reviewers() -> None:
    one = {"technology": 80, "market": 80, "team": 80}
    assert stage_score(DOC, [one]) is None  # min_reviewers is 2 by default
    assert stage_score(DOC, [one, {"technology": 60, "market": 60, "team": 60}]) == 70.0


def test_the_final_score_weights_the_stages_30_70() -> None:
    assert final_score([DOC, PRES], {DOC.code: 100, PRES.code: 50}) == 65.0


def test_the_tie_break_is_the_later_stage_then_the_earlier_submission() -> None:
    # All three have final 70: b is better in the presentation review; a and c tie on everything
    # but the time of submission.
    a = candidate("a", 70, 70, minutes=5)
    b = candidate("b", 0, 100)
    c = candidate("c", 70, 70, minutes=1)
    assert [x.application_id for x in ranking([DOC, PRES], [a, b, c])] == ["b", "c", "a"]


@given(
    st.lists(
        st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 50)),
        min_size=1,
        max_size=12,
    ),
    st.randoms(),
)
def test_the_ranking_is_the_same_whatever_the_input_order(
    scores: list[tuple[int, int, int]], rnd: object
) -> None:
    candidates = [candidate(f"app-{i}", d, p, m) for i, (d, p, m) in enumerate(scores)]
    shuffled = list(candidates)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = ranking([DOC, PRES], candidates)
    assert ranking([DOC, PRES], shuffled) == first
    finals = [final_score([DOC, PRES], c.stage_scores) for c in first]
    assert finals == sorted(finals, reverse=True)


def test_threshold_and_top_k_decide_who_advances_with_reasons() -> None:
    stage = DOC.model_copy(update={"pass_threshold": 60.0, "advance_top_k": 2})
    outcomes = advancement(
        stage,
        [candidate(a, s, 0) for a, s in (("a", 90), ("b", 59.5), ("c", 70), ("d", 65))],
    )
    assert [(o.application_id, o.passed) for o in outcomes] == [
        ("a", True),
        ("c", True),
        ("d", False),
        ("b", False),
    ]
    assert "outside the best 2" in outcomes[2].reason
    assert "below the threshold 60" in outcomes[3].reason


def test_selection_seats_then_reserve_then_rejects() -> None:
    candidates = [candidate(a, s, s) for a, s in (("a", 90), ("b", 80), ("c", 70), ("d", 60))]
    outcomes = selection([DOC, PRES], candidates, seats=2, reserve=1, first_rank=3)
    assert [(o.application_id, o.rank) for o in outcomes] == [
        ("a", 3),
        ("b", 4),
        ("c", 5),
        ("d", None),
    ]
    assert "reserve place 1" in outcomes[2].reason
    assert not outcomes[3].passed
    assert "outside the 2 seats and the reserve" in outcomes[3].reason


@settings(max_examples=200)
@given(
    apps=st.integers(1, 15),
    pool_size=st.integers(1, 8),
    per_application=st.integers(1, 4),
    conflicts=st.sets(st.tuples(st.integers(0, 14), st.integers(0, 7)), max_size=10),
)
def test_assignment_is_balanced_never_repeats_and_never_reassigns_a_conflict(
    apps: int, pool_size: int, per_application: int, conflicts: set[tuple[int, int]]
) -> None:
    applications = [f"app-{i}" for i in range(apps)]
    pool = [f"r{j}@hub.example" for j in range(pool_size)]
    excluded = {
        f"app-{a}": frozenset({f"r{r}@hub.example"})
        for a, r in conflicts
        if a < apps and r < pool_size
    }
    pairs = plan_assignments(
        applications, pool, already=excluded, active={}, load={}, per_application=per_application
    )
    assert len(set(pairs)) == len(pairs)
    for app in applications:
        mine = [r for a, r in pairs if a == app]
        assert not set(mine) & excluded.get(app, frozenset())
        # Everyone gets per_application reviewers unless the pool has too few left for them.
        assert len(mine) == min(per_application, pool_size - len(excluded.get(app, ())))
    if not excluded:
        load = [sum(r == p for _, r in pairs) for p in pool]
        assert max(load) - min(load) <= 1


COMMANDS = st.one_of(
    st.tuples(st.just("advance"), st.none()),
    st.tuples(st.just("accept"), st.one_of(st.none(), st.integers(-1, 5))),
    st.tuples(st.just("reject"), st.none()),
    st.tuples(st.just("withdraw"), st.none()),
    st.tuples(
        st.just("enrollment"),
        st.sampled_from(
            [Status.ENROLLED, Status.WAITLISTED, Status.CANCELLED, Status.AGREEMENT_SIGNED]
        ),
    ),
)


@settings(max_examples=500)
@given(st.integers(1, 4), st.lists(COMMANDS, max_size=25))
def test_no_sequence_of_commands_reaches_an_illegal_state(
    stage_count: int, commands: list[tuple[str, object]]
) -> None:
    state = Lifecycle(Status.RECEIVED, 0, stage_count)
    for name, arg in commands:
        before = state
        try:
            if name == "advance":
                state = state.advance()
            elif name == "accept":
                state = state.accept(arg)  # type: ignore[arg-type]
            elif name == "reject":
                state = state.reject()
            elif name == "withdraw":
                state = state.withdraw()
            else:
                state = state.follow_enrollment(arg)  # type: ignore[arg-type]
        except RuleBroken:
            assert state == before  # a refused command changes nothing
            continue
        assert is_legal(state)
        if before.status in TERMINAL:
            assert state == before  # nothing leaves an end
        if state.stage_index != before.stage_index:
            assert before.status is Status.RECEIVED
            assert state.stage_index == before.stage_index + 1


def test_advancing_past_the_last_stage_is_refused_with_the_reason() -> None:
    with pytest.raises(RuleBroken, match="last review stage"):
        Lifecycle(Status.RECEIVED, 1, 2).advance()


def test_enrollment_events_after_a_withdrawal_change_nothing() -> None:
    withdrawn = Lifecycle(Status.ACCEPTED, 1, 2, rank=1).withdraw()
    assert withdrawn.follow_enrollment(Status.CANCELLED) == withdrawn


@pytest.mark.parametrize(
    ("current", "stale"),
    [
        (Status.ENROLLED, Status.WAITLISTED),  # promoted, then the waitlisting read late
        (Status.AGREEMENT_SIGNED, Status.WAITLISTED),
        (Status.AGREEMENT_SIGNED, Status.ENROLLED),  # signed, then the confirmation again
    ],
)
def test_enrollment_word_the_application_is_past_changes_nothing(
    current: Status, stale: Status
) -> None:
    state = Lifecycle(current, 1, 2, rank=3)
    assert state.follow_enrollment(stale) == state
    # ... while what comes after is still followed, and nothing follows a cancellation.
    assert state.follow_enrollment(Status.CANCELLED).status is Status.CANCELLED
    with pytest.raises(RuleBroken, match="cancelled cannot become"):
        Lifecycle(Status.CANCELLED, 1, 2, rank=3).follow_enrollment(stale)


def test_an_unranked_stage_list_is_rejected_by_the_contract() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ReviewStage(code="x-1", name_ko="x", name_en="x", weight=100, criteria=[])
