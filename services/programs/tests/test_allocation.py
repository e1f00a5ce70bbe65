"""Seat allocation: exact, ranked and indifferent to event order (pure domain, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.cancellation_reasons import (
    COHORT_ENDED,
    DEADLINE_PASSED,
    WITHDRAWN,
    cancellation_cause,
)
from aihub_programs.domain.cohort_calendar import cohort_ends_at
from aihub_programs.domain.enrollments import EnrollmentConflict, Outcome

NOW = datetime(2027, 3, 2, 9, tzinfo=UTC)


def kinds(outcome: Outcome) -> list[tuple[str, str]]:
    return [(c.kind, c.enrollment.application_id) for c in outcome.changes]


def test_confirms_while_seats_are_free_then_waitlists_by_rank() -> None:
    cohort = CohortSeats(2, agreement_due=timedelta(days=10))
    first = cohort.accept("a", rank=3, arrival=1, now=NOW)
    assert kinds(first) == [("confirmed", "a")]
    assert first.changes[0].enrollment.agreement_due_at == NOW + timedelta(days=10)
    assert not first.filled
    second = cohort.accept("b", rank=5, arrival=2, now=NOW)
    assert second.filled
    assert second.changes[0].seats_taken == 2
    c = cohort.accept("c", rank=None, arrival=3, now=NOW)
    d = cohort.accept("d", rank=4, arrival=4, now=NOW)
    e = cohort.accept("e", rank=4, arrival=5, now=NOW)
    assert [o.changes[0].waitlist_position for o in (c, d, e)] == [1, 1, 2]
    # Ranked before unranked; equal ranks by arrival.
    assert [w.application_id for w in cohort.waitlist] == ["d", "e", "c"]


def test_withdrawal_frees_the_seat_for_the_best_ranked_waiting_startup() -> None:
    cohort = CohortSeats(1)
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("late-but-better", rank=2, arrival=3, now=NOW)
    cohort.accept("early-but-worse", rank=9, arrival=2, now=NOW)
    later = NOW + timedelta(days=1)
    outcome = cohort.withdraw("a", arrival=4, now=later)
    assert kinds(outcome) == [("cancelled", "a"), ("promoted", "late-but-better")]
    promoted = outcome.changes[1].enrollment
    assert promoted.agreement_due_at == later + timedelta(days=14)
    assert outcome.changes[0].seats_taken == 0
    assert outcome.changes[1].seats_taken == 1
    assert not outcome.filled  # the seat was refilled at once, never free to anyone else


def test_a_withdrawal_seen_before_the_acceptance_keeps_the_seat_free() -> None:
    cohort = CohortSeats(1)
    assert cohort.withdraw("a", arrival=1, now=NOW).changes == []
    assert cohort.accept("a", rank=1, arrival=2, now=NOW).changes == []
    assert cohort.confirmed == []
    assert kinds(cohort.accept("b", rank=2, arrival=3, now=NOW)) == [("confirmed", "b")]


def test_redelivered_acceptance_and_withdrawal_change_nothing() -> None:
    cohort = CohortSeats(1)
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    assert cohort.accept("a", rank=1, arrival=2, now=NOW).changes == []
    assert len(cohort.withdraw("a", arrival=3, now=NOW).changes) == 1
    assert cohort.withdraw("a", arrival=4, now=NOW).changes == []


def test_removed_seats_evict_nobody_and_added_seats_promote() -> None:
    cohort = CohortSeats(3)
    for n, app in enumerate("abcde"):
        cohort.accept(app, rank=n + 1, arrival=n, now=NOW)
    assert cohort.resize(1, now=NOW).changes == []
    assert len(cohort.confirmed) == 3
    # Below the seats again only after two leave; the first departure promotes nobody.
    assert kinds(cohort.withdraw("a", arrival=9, now=NOW)) == [("cancelled", "a")]
    grown = cohort.resize(4, now=NOW)
    assert kinds(grown) == [("promoted", "d"), ("promoted", "e")]
    assert grown.filled  # b, c, d and e hold the four seats
    assert len(cohort.confirmed) == 4
    assert cohort.seats_left == 0


def test_filled_when_added_seats_are_taken_by_the_waitlist() -> None:
    cohort = CohortSeats(1)
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("b", rank=2, arrival=2, now=NOW)
    outcome = cohort.resize(2, now=NOW)
    assert kinds(outcome) == [("promoted", "b")]
    assert outcome.filled


def test_staff_cancellation_and_agreement_rules() -> None:
    cohort = CohortSeats(1)
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("b", rank=2, arrival=2, now=NOW)
    with pytest.raises(EnrollmentConflict):
        cohort.sign_agreement("b", now=NOW)  # waiting, nothing to sign
    signed = cohort.sign_agreement("a", now=NOW)
    assert kinds(signed) == [("agreement_signed", "a")]
    with pytest.raises(EnrollmentConflict):
        cohort.sign_agreement("a", now=NOW)
    # A signed agreement is never expired, however late it is.
    assert cohort.expire("a", now=NOW + timedelta(days=365)).changes == []
    cancelled = cohort.cancel("a", reason="left the country", now=NOW)
    assert kinds(cancelled) == [("cancelled", "a"), ("promoted", "b")]
    assert cancelled.changes[0].enrollment.reason == "left the country"
    with pytest.raises(EnrollmentConflict):
        cohort.cancel("a", reason="twice", now=NOW)
    with pytest.raises(EnrollmentConflict):
        cohort.cancel("nobody", reason="unknown", now=NOW)


def test_an_unsigned_agreement_expires_only_after_its_deadline() -> None:
    cohort = CohortSeats(1, agreement_due=timedelta(days=7))
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("b", rank=2, arrival=2, now=NOW)
    assert cohort.expire("a", now=NOW + timedelta(days=6)).changes == []
    due = NOW + timedelta(days=7, seconds=1)
    outcome = cohort.expire("a", now=due)
    assert kinds(outcome) == [("cancelled", "a"), ("promoted", "b")]
    assert outcome.changes[0].enrollment.reason == DEADLINE_PASSED
    assert outcome.changes[1].enrollment.agreement_due_at == due + timedelta(days=7)


def test_an_agreement_signed_after_its_deadline_is_refused_even_before_the_expiry_ran() -> None:
    cohort = CohortSeats(1, agreement_due=timedelta(days=7))
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("b", rank=2, arrival=2, now=NOW)
    due = NOW + timedelta(days=7)
    with pytest.raises(EnrollmentConflict, match="deadline passed"):
        cohort.sign_agreement("a", now=due)
    # Refused means unchanged: the expiry still frees the seat for the waitlist.
    assert kinds(cohort.expire("a", now=due)) == [("cancelled", "a"), ("promoted", "b")]
    # Just in time is in time.
    assert kinds(cohort.sign_agreement("b", now=due + timedelta(days=7, seconds=-1))) == [
        ("agreement_signed", "b")
    ]


def test_a_cohort_ends_when_its_last_day_is_over_in_seoul() -> None:
    ends_at = cohort_ends_at(date(2027, 6, 30))
    assert ends_at == datetime(2027, 6, 30, 15, tzinfo=UTC)  # 2027-07-01 00:00 KST
    assert cohort_ends_at(None) is None
    cohort = CohortSeats(1, ends_at=ends_at)
    assert not cohort.has_ended(datetime(2027, 6, 30, 14, 59, 59, tzinfo=UTC))
    assert cohort.has_ended(datetime(2027, 6, 30, 15, tzinfo=UTC))


def test_a_running_cohort_still_promotes_into_a_freed_seat() -> None:
    # Started long ago, ends tomorrow: late promotion is allowed until the end.
    cohort = CohortSeats(1, ends_at=NOW + timedelta(days=1))
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("b", rank=2, arrival=2, now=NOW)
    freed = cohort.withdraw("a", arrival=3, now=NOW + timedelta(hours=23))
    assert kinds(freed) == [("cancelled", "a"), ("promoted", "b")]


def test_after_the_end_a_freed_seat_promotes_nobody_and_the_waitlist_is_closed() -> None:
    cohort = CohortSeats(1, ends_at=NOW + timedelta(days=1))
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("c", rank=3, arrival=2, now=NOW)
    cohort.accept("b", rank=2, arrival=3, now=NOW)
    later = NOW + timedelta(days=1)
    freed = cohort.withdraw("a", arrival=4, now=later)
    assert kinds(freed) == [("cancelled", "a"), ("cancelled", "b"), ("cancelled", "c")]
    assert [c.enrollment.reason for c in freed.changes[1:]] == [COHORT_ENDED, COHORT_ENDED]
    assert [c.seats_taken for c in freed.changes] == [0, 0, 0]
    assert not freed.filled
    assert cohort.confirmed == []
    assert cohort.waitlist == []
    # A late acceptance takes no seat either: waitlisted and closed at once.
    late = cohort.accept("d", rank=1, arrival=5, now=later)
    assert kinds(late) == [("waitlisted", "d"), ("cancelled", "d")]
    assert late.changed[0].status == "cancelled"
    assert cohort.accept("d", rank=1, arrival=6, now=later) == Outcome()
    assert cohort.resize(3, now=later) == Outcome()  # added seats promote nobody either


def test_the_sweep_closes_the_waitlist_of_an_ended_cohort_once() -> None:
    cohort = CohortSeats(1, ends_at=NOW + timedelta(days=1))
    cohort.accept("a", rank=1, arrival=1, now=NOW)
    cohort.accept("b", rank=2, arrival=2, now=NOW)
    assert cohort.rebalance(now=NOW + timedelta(hours=23)) == Outcome()  # not ended yet
    swept = cohort.rebalance(now=NOW + timedelta(days=1))
    assert kinds(swept) == [("cancelled", "b")]
    assert cohort.rebalance(now=NOW + timedelta(days=2)) == Outcome()
    assert [e.application_id for e in cohort.confirmed] == ["a"]  # the seat holder stays


def test_a_startup_giving_up_its_agreement_is_replaced_by_the_next_reserve_rank() -> None:
    """Two seats: ranks 1 and 2 hold them; ranks 4 (arrived first) and 3 wait. Rank 1 gives up
    its agreement (협약 포기) after signing: rank 3, the next reserve rank, takes the seat with
    its own agreement deadline, and rank 4 moves up to the head of the reserve."""
    cohort = CohortSeats(2, agreement_due=timedelta(days=10))
    cohort.accept("rank-1", rank=1, arrival=1, now=NOW)
    cohort.accept("rank-2", rank=2, arrival=2, now=NOW)
    cohort.accept("rank-4", rank=4, arrival=3, now=NOW)
    cohort.accept("rank-3", rank=3, arrival=4, now=NOW)
    cohort.sign_agreement("rank-1", now=NOW)
    later = NOW + timedelta(days=3)
    outcome = cohort.give_up_agreement("rank-1", reason="해외 법인 설립", now=later)
    assert kinds(outcome) == [("cancelled", "rank-1"), ("promoted", "rank-3")]
    gave_up, promoted = (c.enrollment for c in outcome.changes)
    assert gave_up.reason == "agreement given up: 해외 법인 설립"
    assert cancellation_cause(gave_up.reason) == "agreement_given_up"
    assert promoted.agreement_due_at == later + timedelta(days=10)
    assert [e.application_id for e in cohort.confirmed] == ["rank-2", "rank-3"]
    assert cohort.waitlist_position("rank-4") == 1
    assert not outcome.filled  # refilled at once


@pytest.mark.parametrize("who", ["rank-3", "nobody"])
def test_only_a_seat_holder_gives_up_an_agreement(who: str) -> None:
    cohort = CohortSeats(1)
    cohort.accept("rank-1", rank=1, arrival=1, now=NOW)
    cohort.accept("rank-3", rank=3, arrival=2, now=NOW)
    with pytest.raises(EnrollmentConflict, match="holding a seat"):
        cohort.give_up_agreement(who, reason="x", now=NOW)
    cohort.give_up_agreement("rank-1", reason="x", now=NOW)
    with pytest.raises(EnrollmentConflict, match="cancelled"):  # once only
        cohort.give_up_agreement("rank-1", reason="x", now=NOW)


def test_after_the_cohort_ended_a_given_up_seat_promotes_nobody() -> None:
    ends = cohort_ends_at(date(2027, 3, 31))
    cohort = CohortSeats(1, ends_at=ends)
    cohort.accept("rank-1", rank=1, arrival=1, now=NOW)
    cohort.accept("rank-2", rank=2, arrival=2, now=NOW)
    assert ends is not None
    outcome = cohort.give_up_agreement("rank-1", reason="x", now=ends + timedelta(hours=1))
    assert [c.enrollment.reason for c in outcome.changes if c.kind == "cancelled"][1:] == [
        COHORT_ENDED
    ]
    assert not [c for c in outcome.changes if c.kind == "promoted"]


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        (WITHDRAWN, "withdrawn"),
        (f"{WITHDRAWN}: found other funding", "withdrawn"),
        ("cancelled by pm@hub.example: agreement given up: no", "cancelled_by_staff"),
        ("agreement given up: moved abroad", "agreement_given_up"),
        (DEADLINE_PASSED, "agreement_deadline_passed"),
        (COHORT_ENDED, "cohort_ended"),
        (None, None),
        ("something else", None),
    ],
)
def test_the_cause_of_a_cancellation(reason: str | None, cause: str | None) -> None:
    assert cancellation_cause(reason) == cause
