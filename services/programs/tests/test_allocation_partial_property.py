"""A seat decision on the part of a cohort the store loads (the enrollment it is about, the head
of the waitlist `waitlist_head_needed` says, the counts) is the decision on the whole cohort: the
same changes, counts and positions, under any sequence of operations (Hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.enrollments import Counted, Enrollment, EnrollmentConflict, Outcome
from aihub_programs.domain.roster import waitlist_head_needed

NOW = datetime(2027, 3, 2, 9, tzinfo=UTC)
DUE = timedelta(days=1)
APPS = [f"app-{n}" for n in range(10)]
OPERATION: st.SearchStrategy[tuple[str, str, int | None]] = st.one_of(
    st.tuples(st.just("accept"), st.sampled_from(APPS), st.one_of(st.none(), st.integers(1, 6))),
    st.tuples(
        st.sampled_from(["withdraw", "cancel", "sign", "expire"]), st.sampled_from(APPS), st.none()
    ),
    st.tuples(st.just("resize"), st.just(""), st.integers(0, 6)),
)
Apply = Callable[[CohortSeats], Outcome]


class Store:
    """The enrollments as the database keeps them, and what the adapter loads of them."""

    def __init__(self, seats: int, ends_at: datetime | None) -> None:
        self.seats = seats
        self.ends_at = ends_at
        self.rows: dict[str, Enrollment] = {}

    def whole(self, about: str | None) -> CohortSeats:
        """The cohort as it was loaded before: every live enrollment, plus `about`."""
        live = [
            e for e in self.rows.values() if e.status != "cancelled" or e.application_id == about
        ]
        return CohortSeats(self.seats, live, agreement_due=DUE, ends_at=self.ends_at)

    def part(self, about: str | None, newcomer: Enrollment | None, now: datetime) -> CohortSeats:
        waiting = sorted(
            (e for e in self.rows.values() if e.status == "waitlisted"),
            key=lambda e: e.waitlist_key,
        )
        confirmed = sum(e.status == "confirmed" for e in self.rows.values())
        ended = self.ends_at is not None and now >= self.ends_at
        head = waiting[: waitlist_head_needed(self.seats, confirmed, len(waiting), ended=ended)]
        loaded = {e.application_id: e for e in head}
        if about in self.rows:
            loaded[about] = self.rows[about]
        ahead = None
        if newcomer is not None and (confirmed >= self.seats or ended):
            ahead = sum(w.waitlist_key < newcomer.waitlist_key for w in waiting)
        counted = Counted(confirmed, len(waiting), head[-1].waitlist_key if head else None, ahead)
        return CohortSeats(
            self.seats, loaded.values(), agreement_due=DUE, ends_at=self.ends_at, counted=counted
        )

    def store(self, outcome: Outcome, seats: int) -> None:
        self.seats = seats
        self.rows.update({e.application_id: e for e in outcome.changed})


@settings(max_examples=400, deadline=None)
@given(
    seats=st.integers(0, 4),
    operations=st.lists(OPERATION, max_size=50),
    ends_after=st.one_of(st.none(), st.integers(0, 60)),
)
def test_a_decision_on_the_loaded_part_is_the_decision_on_the_whole_cohort(
    seats: int,
    operations: list[tuple[str, str, int | None]],
    ends_after: int | None,
) -> None:
    ends_at = None if ends_after is None else NOW + timedelta(hours=13 * ends_after)
    store = Store(seats, ends_at)
    clock = NOW
    for arrival, (op, app, arg) in enumerate(operations):
        clock += timedelta(hours=13)  # deadlines pass now and then, the cohort may end
        newcomer = None
        if op == "accept":
            newcomer = Enrollment(app, "waitlisted", arg, arrival)
        if op == "resize" and arg is not None:
            # The catalog stores the new seats first; the decision then reads them (rebalance).
            store.seats = arg
        apply = _operation(op, app, arg, arrival, clock)
        whole, part = store.whole(app or None), store.part(app or None, newcomer, clock)
        expected, got = _outcome(apply, whole), _outcome(apply, part)
        assert got == expected
        assert (part.confirmed_count, part.waitlisted_count) == (
            len(whole.confirmed),
            len(whole.waitlist),
        )
        if isinstance(expected, Outcome):
            store.store(expected, whole.seats)


def _outcome(apply: Apply, seats: CohortSeats) -> Outcome | str:
    try:
        return apply(seats)
    except EnrollmentConflict as exc:
        return str(exc)


def _operation(op: str, app: str, arg: int | None, arrival: int, now: datetime) -> Apply:
    if op == "accept":
        return lambda c: c.accept(app, rank=arg, arrival=arrival, now=now)
    if op == "withdraw":
        return lambda c: c.withdraw(app, arrival=arrival, now=now)
    if op == "cancel":
        return lambda c: c.cancel(app, reason="staff", now=now)
    if op == "sign":
        return lambda c: c.sign_agreement(app, now=now)
    if op == "expire":
        return lambda c: c.expire(app, now=now)
    assert arg is not None
    return lambda c: c.resize(arg, now=now)
