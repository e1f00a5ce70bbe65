"""The pure rules a cohort's managers read: pipeline counts, reviewer progress, and which rule
of the tie-break decided between two equal final scores (with Hypothesis: it names the key
that `ranking` itself orders by)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from aihub_applications.domain.progress import (
    AssignmentState,
    StatusCount,
    pipeline,
    reviewer_progress,
)
from aihub_applications.domain.review import (
    Candidate,
    CohortReview,
    TieBreak,
    ranking,
    tie_broken_by,
)
from aihub_applications.domain.status import Status
from aihub_shared.contracts.programs import default_review_stages

DOC, PRES = default_review_stages()
REVIEW = CohortReview("c", "p", 2, (DOC, PRES))
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_the_pipeline_counts_every_status_and_puts_the_unstaged_in_the_first_stage() -> None:
    counts = pipeline(
        REVIEW,
        [
            StatusCount(Status.RECEIVED, None, 3),
            StatusCount(Status.RECEIVED, DOC.code, 1),
            StatusCount(Status.RECEIVED, "a-stage-removed-since", 2),
            StatusCount(Status.RECEIVED, PRES.code, 4),
            StatusCount(Status.REJECTED, DOC.code, 5),
        ],
    )
    assert counts.in_review_by_stage == {DOC.code: 6, PRES.code: 4}
    assert counts.by_status["received"] == 10
    assert counts.by_status["rejected"] == 5
    assert counts.by_status["accepted"] == 0
    assert counts.total == 15


def test_progress_counts_what_counts_and_late_only_while_open() -> None:
    past, future = NOW - timedelta(hours=1), NOW + timedelta(hours=1)

    def state(
        who: str,
        *,
        conflict: bool = False,
        scored: bool = False,
        due_at: datetime = past,
        still_open: bool = True,
    ) -> AssignmentState:
        return AssignmentState(who, who.upper(), conflict, scored, due_at, still_open)

    progress = reviewer_progress(
        {"b@x": "B", "a@x": "A"},
        [
            state("a@x"),  # overdue
            state("a@x", scored=True),
            state("a@x", due_at=future),
            state("a@x", still_open=False),  # its application left the stage: not late
            state("b@x", conflict=True),
            state("c@x", scored=True),  # assigned, not (or no longer) in the pool
        ],
        NOW,
    )
    assert [(p.reviewer_id, p.reviewer_name) for p in progress] == [
        ("b@x", "B"),
        ("a@x", "A"),
        ("c@x", "C@X"),
    ]
    a = progress[1]
    assert (a.assigned, a.scored, a.conflicts, a.overdue) == (4, 1, 0, 1)
    assert (progress[0].assigned, progress[0].conflicts) == (0, 1)


def candidate(app: str, doc: float, pres: float, minutes: int = 0, bonus: float = 0.0) -> Candidate:
    return Candidate(
        app, NOW + timedelta(minutes=minutes), {DOC.code: doc, PRES.code: pres}, bonus=bonus
    )


def test_the_tie_break_names_the_rule_that_decided() -> None:
    a, b = candidate("a", 100, 50), candidate("b", 30, 80)  # both 65
    assert tie_broken_by([DOC, PRES], b, a) == TieBreak("stage_score", PRES.code)
    c, d = candidate("c", 60, 60, minutes=1), candidate("d", 60, 60, minutes=2)
    assert tie_broken_by([DOC, PRES], c, d) == TieBreak("earlier_submission")
    e, f = candidate("e", 60, 60), candidate("f", 60, 60)
    assert tie_broken_by([DOC, PRES], e, f) == TieBreak("application_id")
    assert tie_broken_by([DOC, PRES], a, c) is None  # 65 and 60: no tie
    # Bonus points count in the final score the tie is about.
    assert tie_broken_by([DOC, PRES], candidate("g", 60, 60, bonus=5), e) is None
    h = candidate("h", 55, 55, bonus=5)  # 55 + 5 = 60
    assert tie_broken_by([DOC, PRES], e, h) == TieBreak("stage_score", PRES.code)


scores = st.integers(min_value=0, max_value=4).map(lambda n: n * 25.0)


bonuses = st.sampled_from([0.0, 12.5, 25.0])


@given(st.lists(st.tuples(scores, scores, st.integers(0, 2), bonuses), min_size=2, max_size=8))
def test_between_neighbours_of_the_ranking_the_named_rule_orders_them(
    rows: list[tuple[float, float, int, float]],
) -> None:
    ranked = ranking(
        [DOC, PRES],
        [candidate(f"app-{i}", d, p, m, bonus) for i, (d, p, m, bonus) in enumerate(rows)],
    )
    for above, below in pairwise(ranked):
        rule = tie_broken_by([DOC, PRES], above, below)
        if above.final([DOC, PRES]) != below.final([DOC, PRES]):
            assert rule is None
        elif rule is not None and rule.rule == "stage_score":
            assert rule.stage_code is not None
            assert above.stage_scores[rule.stage_code] > below.stage_scores[rule.stage_code]
        elif rule is not None and rule.rule == "earlier_submission":
            assert above.received_at < below.received_at
        else:
            assert rule == TieBreak("application_id")
            assert above.application_id < below.application_id
