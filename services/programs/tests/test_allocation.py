"""Seat allocation never confirms more startups than seats, whatever the sequence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aihub_programs.domain.allocation import SeatState, enroll_or_waitlist
from aihub_programs.service_layer.catalog import load_seed


def test_confirms_while_seats_are_free_then_waitlists_in_order() -> None:
    state = SeatState(seats=2, confirmed=0, waitlisted=0)
    outcomes = []
    for _ in range(4):
        allocation = enroll_or_waitlist(state)
        outcomes.append((allocation.status, allocation.waitlist_position))
        state = allocation.state_after
    assert outcomes == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert state == SeatState(seats=2, confirmed=2, waitlisted=2)


def test_seats_reduced_below_confirmed_evict_nobody_and_take_nobody() -> None:
    allocation = enroll_or_waitlist(SeatState(seats=1, confirmed=3, waitlisted=0))
    assert allocation.status == "waitlisted"
    assert allocation.state_after.confirmed == 3


@given(seats=st.integers(0, 20), arrivals=st.integers(0, 60))
def test_confirmed_never_exceeds_seats(seats: int, arrivals: int) -> None:
    state = SeatState(seats=seats, confirmed=0, waitlisted=0)
    for _ in range(arrivals):
        state = enroll_or_waitlist(state).state_after
        assert state.confirmed <= seats
    assert state.confirmed == min(seats, arrivals)
    assert state.waitlisted == arrivals - state.confirmed


def test_the_hub_catalog_holds_its_real_programs() -> None:
    seed = load_seed()
    by_code = {p.code: p for p in seed.programs}
    assert set(by_code) == {"growth-residency", "cyber-valley-batch", "membership", "ai-education"}
    assert by_code["growth-residency"].cohorts[0].seats == 4
    assert by_code["cyber-valley-batch"].partner == "Cyber Valley"
