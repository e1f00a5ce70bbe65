"""Seat allocation under any sequence of operations, in any order, with any duplicates, the cohort
ending at any step (a Hypothesis property test of the pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.cancellation_reasons import COHORT_ENDED
from aihub_programs.domain.enrollments import Change, EnrollmentConflict, Outcome

NOW = datetime(2027, 3, 2, 9, tzinfo=UTC)


APPS = [f"app-{n}" for n in range(8)]
RANKS = st.one_of(st.none(), st.integers(1, 6))
OPERATION = st.one_of(
    st.tuples(st.just("accept"), st.sampled_from(APPS), RANKS),
    st.tuples(st.just("withdraw"), st.sampled_from(APPS), st.none()),
    st.tuples(st.just("cancel"), st.sampled_from(APPS), st.none()),
    st.tuples(st.just("give_up"), st.sampled_from(APPS), st.none()),
    st.tuples(st.just("sign"), st.sampled_from(APPS), st.none()),
    st.tuples(st.just("expire"), st.sampled_from(APPS), st.none()),
    st.tuples(st.just("resize"), st.just(""), st.integers(0, 5)),
)


@settings(max_examples=400, deadline=None)
@given(
    seats=st.integers(0, 4),
    operations=st.lists(st.tuples(OPERATION, st.booleans()), max_size=40),
    ends_after=st.one_of(st.none(), st.integers(0, 60)),
)
def test_any_sequence_keeps_seats_exact_and_promotes_in_rank_order(
    seats: int,
    operations: list[tuple[tuple[str, str, int | None], bool]],
    ends_after: int | None,
) -> None:
    # The cohort may end somewhere along the sequence (each attempt moves the clock 13 hours).
    ends_at = None if ends_after is None else NOW + timedelta(hours=13 * ends_after)
    cohort = CohortSeats(seats, agreement_due=timedelta(days=1), ends_at=ends_at)
    withdrawn: set[str] = set()
    ranks: dict[str, int | None] = {}
    lowered_below_confirmed = False
    clock = NOW
    for arrival, ((op, app, arg), twice) in enumerate(operations):
        for attempt in range(2 if twice else 1):  # a redelivery of the very same event
            clock += timedelta(hours=13)  # deadlines pass now and then
            waiting_before = {e.application_id: e.waitlist_key for e in cohort.waitlist}
            confirmed_before = len(cohort.confirmed)
            outcome = _apply(cohort, op, app, arg, arrival, clock)
            if op == "resize" and arg is not None and arg < confirmed_before:
                lowered_below_confirmed = True
            if op == "accept" and app not in ranks:
                ranks[app] = arg
            if op == "withdraw":
                withdrawn.add(app)
            if attempt == 1 and op in ("accept", "withdraw", "resize"):
                _check_redelivery(cohort, outcome, op, clock)
            for change in outcome.changes:
                if change.kind in ("confirmed", "promoted"):
                    # A seat is only ever given while one is free: the event shows it.
                    assert change.seats_taken <= change.seats
                    assert change.enrollment.application_id not in withdrawn
            if not lowered_below_confirmed:
                assert len(cohort.confirmed) <= cohort.seats
            else:
                assert len(cohort.confirmed) <= max(cohort.seats, confirmed_before)
            # Never a free seat while someone waits.
            assert not (cohort.seats_left > 0 and cohort.waitlist)
            closed = _check_the_end(cohort, outcome, op, clock)
            _check_order(cohort, outcome, waiting_before, closed)
            # Ranks stay what the acceptance said.
            for entry in [*cohort.confirmed, *cohort.waitlist]:
                assert entry.rank == ranks[entry.application_id]
                assert entry.application_id not in withdrawn


def _check_redelivery(cohort: CohortSeats, outcome: Outcome, op: str, clock: datetime) -> None:
    # The one thing a redelivery may do: if the cohort ended between the two deliveries, a seat
    # change closes the waitlist then, as any seat operation on an ended cohort does. Nothing
    # else changes.
    ended_meanwhile = cohort.has_ended(clock) and not cohort.has_ended(clock - timedelta(hours=13))
    closing = [c for c in outcome.changes if c.enrollment.reason == COHORT_ENDED]
    expected = closing if ended_meanwhile and op == "resize" else []
    assert outcome.changes == expected, "a redelivered event changed something"


def _check_the_end(cohort: CohortSeats, outcome: Outcome, op: str, clock: datetime) -> list[Change]:
    """Checks what the cohort's end allows; returns the waiting startups the end closed."""
    closed = [c for c in outcome.changes if c.enrollment.reason == COHORT_ENDED]
    if cohort.has_ended(clock):
        # After the end nobody takes a seat, and a change of seats closes the waitlist.
        assert not [c for c in outcome.changes if c.kind in ("confirmed", "promoted")]
        if op == "resize":
            assert cohort.waitlist == []
    else:
        assert closed == []
    assert all(c.kind == "cancelled" and c.seats == cohort.seats for c in closed)
    return closed


def _check_order(
    cohort: CohortSeats,
    outcome: Outcome,
    waiting_before: dict[str, tuple[int, int, int]],
    closed: list[Change],
) -> None:
    # Promotions take the best-ranked waiting startups, best first.
    promoted = [c.enrollment.waitlist_key for c in outcome.changes if c.kind == "promoted"]
    assert promoted == sorted(promoted)
    still_waiting = [e.waitlist_key for e in cohort.waitlist]
    assert all(p < w for p in promoted for w in still_waiting)
    assert all(
        waiting_before.get(c.enrollment.application_id) == c.enrollment.waitlist_key
        for c in outcome.changes
        if c.kind == "promoted"
    )
    # A signature only ever keeps a seat whose deadline has not passed.
    for change in outcome.changes:
        if change.kind == "agreement_signed":
            signed, due = (
                change.enrollment.agreement_signed_at,
                change.enrollment.agreement_due_at,
            )
            assert signed is not None
            assert due is not None
            assert signed < due
    # Waitlist positions reported at waitlisting are the real ones.
    for change in outcome.changes:
        if change.kind == "waitlisted" and change.enrollment.application_id not in {
            c.enrollment.application_id for c in closed
        }:
            assert change.waitlist_position == cohort.waitlist_position(
                change.enrollment.application_id
            )


def _apply(
    cohort: CohortSeats, op: str, app: str, arg: int | None, arrival: int, now: datetime
) -> Outcome:
    try:
        if op == "accept":
            return cohort.accept(app, rank=arg, arrival=arrival, now=now)
        if op == "withdraw":
            return cohort.withdraw(app, arrival=arrival, now=now)
        if op == "cancel":
            return cohort.cancel(app, reason="staff", now=now)
        if op == "give_up":
            held = app in {e.application_id for e in cohort.confirmed}
            outcome = cohort.give_up_agreement(app, reason="moved abroad", now=now)
            assert held  # only a seat holder may give up; anyone else is a conflict
            assert outcome.changes[0].kind == "cancelled"
            return outcome
        if op == "sign":
            return cohort.sign_agreement(app, now=now)
        if op == "expire":
            return cohort.expire(app, now=now)
        assert arg is not None
        return cohort.resize(arg, now=now)
    except EnrollmentConflict:
        return Outcome()
