"""The application's life: which status may follow which.

While an application is `received` it is in review; which stage it is in is kept apart (see
`lifecycle.py`). Acceptance and the enrollment statuses that follow it come from the programs
service; `withdrawn` is possible at any stage until the application reached an end.
"""

from __future__ import annotations

from enum import StrEnum

from aihub_shared.refusals import Conflict


class Status(StrEnum):
    RECEIVED = "received"
    INELIGIBLE = "ineligible"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    ENROLLED = "enrolled"
    AGREEMENT_SIGNED = "agreement_signed"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"


_NEXT: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN}),
    Status.INELIGIBLE: frozenset(),
    Status.ACCEPTED: frozenset(
        {Status.ENROLLED, Status.WAITLISTED, Status.CANCELLED, Status.WITHDRAWN}
    ),
    Status.REJECTED: frozenset(),
    Status.WAITLISTED: frozenset({Status.ENROLLED, Status.CANCELLED, Status.WITHDRAWN}),
    Status.ENROLLED: frozenset({Status.AGREEMENT_SIGNED, Status.CANCELLED, Status.WITHDRAWN}),
    Status.AGREEMENT_SIGNED: frozenset({Status.CANCELLED, Status.WITHDRAWN}),
    Status.CANCELLED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

TERMINAL = frozenset(s for s, nxt in _NEXT.items() if not nxt)
#: Statuses in which the application holds a place in the final ranking.
SELECTED = frozenset({Status.ACCEPTED, Status.WAITLISTED, Status.ENROLLED, Status.AGREEMENT_SIGNED})


class RuleBroken(Conflict):
    """A command the application's current state does not allow; the message says why (409)."""


class IllegalTransition(RuleBroken):
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
