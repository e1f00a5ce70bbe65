"""An enrollment of a cohort, and what one allocation operation (`allocation.py`) makes of the
cohort's enrollments: the changes, each with the counts right after it, that become events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from aihub_shared.refusals import Conflict

Status = Literal["confirmed", "waitlisted", "cancelled"]
ChangeKind = Literal["confirmed", "waitlisted", "promoted", "cancelled", "agreement_signed"]

#: What an application id may look like (the applications service issues UUIDs): anything else in
#: an event is refused at once rather than failing in Postgres (a NUL byte) retry after retry.
APPLICATION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class EnrollmentConflict(Conflict):
    """A staff action that does not fit the enrollment's state (409 over HTTP)."""


class IncompleteCohort(RuntimeError):
    """The operation needs an enrollment the caller did not load: a bug in the loading, never
    in the input (nothing is decided on a partial view that could differ from the whole)."""


WaitlistKey = tuple[int, int, int]


@dataclass(frozen=True)
class Enrollment:
    application_id: str
    status: Status
    rank: int | None
    arrival: int  # order in which acceptances reached us: the tie-breaker between equal ranks
    agreement_due_at: datetime | None = None
    agreement_signed_at: datetime | None = None
    reason: str | None = None

    @property
    def waitlist_key(self) -> WaitlistKey:
        """Best first: rank ascending, unranked after every ranked one, then arrival."""
        return (self.rank is None, self.rank or 0, self.arrival)


@dataclass(frozen=True)
class Counted:
    """What the store counted instead of loading, when it loads only part of a cohort: the
    enrollment an operation is about and the best waiting ones (the waitlist's head)."""

    #: The cohort's confirmed and waiting enrollments, loaded ones included.
    confirmed: int
    waitlisted: int
    #: The key of the last entry of the loaded head: every waiting enrollment that was not loaded
    #: ranks after it (None: no head was loaded).
    head_ends_at: WaitlistKey | None = None
    #: For an acceptance: how many waiting enrollments rank ahead of the newcomer (None: not
    #: counted, because the caller saw a free seat for it).
    ahead_of_newcomer: int | None = None


@dataclass(frozen=True)
class Change:
    """One step of an operation, with the cohort's counts right after it: each becomes an event."""

    kind: ChangeKind
    enrollment: Enrollment
    seats: int
    seats_taken: int
    waitlist_position: int | None = None


@dataclass(frozen=True)
class Outcome:
    changes: list[Change] = field(default_factory=list)
    #: The operation took the cohort's last free seat (`cohort.filled`).
    filled: bool = False
    #: A withdrawal of an application never enrolled: stored, announced to nobody.
    tombstone: Enrollment | None = None

    @property
    def changed(self) -> list[Enrollment]:
        """The enrollments to store, each in its final state."""
        final = {c.enrollment.application_id: c.enrollment for c in self.changes}
        if self.tombstone is not None:
            final[self.tombstone.application_id] = self.tombstone
        return list(final.values())
