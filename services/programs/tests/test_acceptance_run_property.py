"""A run of acceptances decided in memory on what the store loads once for the whole run (the
waitlist's head, the counts, per newcomer how many stored ones wait ahead) is the run applied one
by one to the whole cohort: the same changes, counts, positions and `cohort.filled`, whatever the
cohort held before (seats left or not, a waitlist, tombstones, seats lowered, the cohort ended),
with duplicates and known applications in the run (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_programs.domain.acceptance_run import AcceptanceRun, Newcomer
from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.enrollments import EnrollmentConflict, Outcome
from aihub_programs.domain.roster import waitlist_head_needed

NOW = datetime(2027, 3, 2, 9, tzinfo=UTC)
DUE = timedelta(days=1)
APPS = [f"app-{n}" for n in range(14)]
RANK = st.one_of(st.none(), st.integers(1, 8))
BEFORE = st.one_of(
    st.tuples(st.just("accept"), st.sampled_from(APPS), RANK),
    st.tuples(st.sampled_from(["withdraw", "cancel"]), st.sampled_from(APPS), st.none()),
    st.tuples(st.just("resize"), st.just(""), st.integers(0, 5)),
)


def _history(seats: int, before: list[tuple[str, str, int | None]]) -> CohortSeats:
    """The whole cohort after the operations that came before the run (the cohort not ended)."""
    cohort = CohortSeats(seats, agreement_due=DUE)
    for arrival, (op, app, arg) in enumerate(before):
        try:
            if op == "accept":
                cohort.accept(app, rank=arg, arrival=arrival, now=NOW)
            elif op == "withdraw":
                cohort.withdraw(app, arrival=arrival, now=NOW)
            elif op == "cancel":
                cohort.cancel(app, reason="staff", now=NOW)
            else:
                assert arg is not None
                cohort.resize(arg, now=NOW)
        except EnrollmentConflict:
            pass
    return cohort


@settings(max_examples=400, deadline=None)
@given(
    seats=st.integers(0, 4),
    before=st.lists(BEFORE, max_size=30),
    run=st.lists(st.tuples(st.sampled_from(APPS), RANK), min_size=1, max_size=14),
    ended=st.booleans(),
)
def test_a_run_decided_on_one_load_is_the_run_one_by_one(
    seats: int,
    before: list[tuple[str, str, int | None]],
    run: list[tuple[str, int | None]],
    ended: bool,
) -> None:
    whole = _history(seats, before)
    stored_known = {app for app in APPS if whole.get(app) is not None}
    waiting = whole.waitlist
    moment = NOW + timedelta(days=2)
    whole.ends_at = NOW + timedelta(days=1) if ended else None
    confirmed, waitlisted = len(whole.confirmed), len(waiting)
    head_size = waitlist_head_needed(whole.seats, confirmed, waitlisted, ended=ended)
    partial = AcceptanceRun(
        whole.seats,
        confirmed=confirmed,
        waitlisted=waitlisted,
        head=waiting[:head_size],
        agreement_due=DUE,
        ends_at=whole.ends_at,
    )

    seen = set(stored_known)
    for offset, (app, rank) in enumerate(run):
        if app in seen:
            continue  # known: the service layer leaves it alone before any decision
        seen.add(app)
        arrival = len(before) + offset
        expected = whole.accept(app, rank=rank, arrival=arrival, now=moment)
        newcomer = Newcomer(app, rank, arrival)
        if head_size < waitlisted:
            ahead = sum(w.waitlist_key < (rank is None, rank or 0, arrival) for w in waiting)
            newcomer = Newcomer(app, rank, arrival, stored_ahead=ahead)
        got = partial.accept(newcomer, moment)
        assert got == expected
        assert isinstance(got, Outcome)
