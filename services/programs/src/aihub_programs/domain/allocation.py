"""Seat allocation: the rule that a cohort never holds more confirmed startups than seats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SeatState:
    seats: int
    confirmed: int
    waitlisted: int

    @property
    def seats_left(self) -> int:
        # Seats can be reduced below the confirmed count; nobody is evicted, so clamp at zero.
        return max(self.seats - self.confirmed, 0)


@dataclass(frozen=True)
class Allocation:
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None
    state_after: SeatState


def enroll_or_waitlist(state: SeatState) -> Allocation:
    """Confirm while a seat is free, otherwise join the end of the waitlist."""
    if state.seats_left > 0:
        after = SeatState(state.seats, state.confirmed + 1, state.waitlisted)
        return Allocation("confirmed", None, after)
    after = SeatState(state.seats, state.confirmed, state.waitlisted + 1)
    return Allocation("waitlisted", state.waitlisted + 1, after)
