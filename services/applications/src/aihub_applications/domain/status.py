"""The application's life: which status may follow which."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    INELIGIBLE = "ineligible"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    ENROLLED = "enrolled"


_NEXT: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.INELIGIBLE: frozenset(),
    Status.ACCEPTED: frozenset({Status.ENROLLED, Status.WAITLISTED}),
    Status.REJECTED: frozenset(),
    Status.WAITLISTED: frozenset({Status.ENROLLED}),
    Status.ENROLLED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, current: Status, target: Status) -> None:
        allowed = ", ".join(sorted(_NEXT[current])) or "nothing"
        super().__init__(
            f"an application that is {current.value} cannot become {target.value}"
            f" (allowed next: {allowed})"
        )
        self.current = current
        self.target = target


def transition(current: Status, target: Status) -> Status:
    if target not in _NEXT[current]:
        raise IllegalTransition(current, target)
    return target


def allowed_next(current: Status) -> frozenset[Status]:
    return _NEXT[current]
