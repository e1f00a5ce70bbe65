"""Seat allocation of one cohort: exact, automatic, and indifferent to event order.

Rules (the issue is the authority):
- an accepted startup takes a free seat, otherwise waits; the waitlist is ordered by review
  rank (1 first, unranked last), then by arrival;
- a withdrawal, a staff cancellation, a passed agreement deadline or a startup giving up its
  agreement (협약 포기) frees the seat, and the best waitlisted startup (the next reserve rank,
  예비순위) is promoted into it; added seats promote the same way;
- removed seats never evict a confirmed startup: the cohort simply takes nobody until it is
  below its seats again;
- a confirmation or promotion only ever happens while `confirmed < seats`, so confirmed ≤ seats
  holds whenever the seats were not lowered under the confirmed count by staff;
- once the cohort has ended (its `ends_on` day is over in Seoul) nobody takes a seat any more:
  a freed seat promotes nobody, the waitlist is closed (each waiting startup cancelled with
  COHORT_ENDED) by the next operation on the cohort or the sweep, and a late acceptance is
  waitlisted and closed at once; a running cohort (started, not ended) still promotes;
- every operation is idempotent, and a withdrawal seen before the acceptance leaves a tombstone
  (a `cancelled` enrollment) so that the late acceptance can never take a seat.

Pure: no I/O, no clock. The caller loads the enrollments an operation needs under the cohort's
row lock, applies one operation and stores what changed. It may load the whole cohort, or only
the enrollment the operation is about and the head of the waitlist, with the rest counted
(`Counted`): a seat decision then costs the same in a cohort of 10 or of 10,000. An operation that
would need an enrollment that was not loaded raises `IncompleteCohort` instead of guessing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from aihub_shared.contracts.programs import CancellationCause
from aihub_shared.refusals import Conflict

Status = Literal["confirmed", "waitlisted", "cancelled"]
ChangeKind = Literal["confirmed", "waitlisted", "promoted", "cancelled", "agreement_signed"]

WITHDRAWN = "withdrawn by the applicant"
#: What an application id may look like (the applications service issues UUIDs): anything else in
#: an event is refused at once rather than failing in Postgres (a NUL byte) retry after retry.
APPLICATION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
DEADLINE_PASSED = "agreement deadline passed"
COHORT_ENDED = "the cohort has ended"
AGREEMENT_GIVEN_UP = "agreement given up"
CANCELLED_BY = "cancelled by "
SEOUL = ZoneInfo("Asia/Seoul")


def cohort_ends_at(ends_on: date | None) -> datetime | None:
    """The moment a cohort has ended: the end of its last day (`ends_on`) in Seoul."""
    if ends_on is None:
        return None
    return datetime.combine(ends_on + timedelta(days=1), time(), tzinfo=SEOUL)


#: The longest reason `enrollment.cancelled` carries: a 2000-character withdrawal or
#: cancellation reason plus who and why must still free the seat, so the end is cut instead.
MAX_REASON = 2000


def cancellation_cause(reason: str | None) -> CancellationCause | None:
    """Which rule ended an enrollment, from the reason the operation recorded (each rule writes
    its own fixed beginning; a staff member's words come only after it)."""
    if reason is None:
        return None
    if reason.startswith(WITHDRAWN):
        return "withdrawn"
    if reason.startswith(AGREEMENT_GIVEN_UP + ":"):
        return "agreement_given_up"
    if reason.startswith(CANCELLED_BY):
        return "cancelled_by_staff"
    if reason == DEADLINE_PASSED:
        return "agreement_deadline_passed"
    if reason == COHORT_ENDED:
        return "cohort_ended"
    return None


def kept_reason(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


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


def waitlist_head_needed(seats: int, confirmed: int, waitlisted: int, *, ended: bool) -> int:
    """How much of the waitlist's head any one operation may promote or close: each free seat
    plus the one a release frees, or all of it once the cohort has ended (it closes)."""
    return waitlisted if ended else min(max(seats - confirmed, 0) + 1, waitlisted)


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


class CohortSeats:
    """The seats of one cohort and the enrollments that compete for them: all of them, or the
    ones an operation needs plus what the store counted of the rest (`counted`)."""

    def __init__(
        self,
        seats: int,
        enrollments: Iterable[Enrollment] = (),
        *,
        agreement_due: timedelta = timedelta(days=14),
        ends_at: datetime | None = None,
        counted: Counted | None = None,
    ) -> None:
        self.seats = seats
        self.agreement_due = agreement_due
        self.ends_at = ends_at
        self._by_id = {e.application_id: e for e in enrollments}
        loaded = [e.status for e in self._by_id.values()]
        whole = counted is None
        counted = counted or Counted(loaded.count("confirmed"), loaded.count("waitlisted"))
        self._confirmed = counted.confirmed
        self._waitlisted = counted.waitlisted
        #: Waiting enrollments not loaded: none ever changes, so their number stays.
        self._unloaded_waiting = counted.waitlisted - loaded.count("waitlisted")
        if self._unloaded_waiting < 0 or counted.confirmed < loaded.count("confirmed"):
            raise IncompleteCohort("the counts are lower than the enrollments loaded")
        self._head_ends_at = counted.head_ends_at
        self._ahead_of_newcomer = None if whole else counted.ahead_of_newcomer

    # -- reading -------------------------------------------------------------------------------

    def get(self, application_id: str) -> Enrollment | None:
        return self._by_id.get(application_id)

    @property
    def confirmed(self) -> list[Enrollment]:
        """Confirmed enrollments among those loaded."""
        return [e for e in self._by_id.values() if e.status == "confirmed"]

    @property
    def waitlist(self) -> list[Enrollment]:
        """Waiting startups among those loaded, best first."""
        waiting = [e for e in self._by_id.values() if e.status == "waitlisted"]
        return sorted(waiting, key=lambda e: e.waitlist_key)

    @property
    def confirmed_count(self) -> int:
        return self._confirmed

    @property
    def waitlisted_count(self) -> int:
        return self._waitlisted

    @property
    def seats_left(self) -> int:
        # Seats lowered below the confirmed count evict nobody, so clamp at zero.
        return max(self.seats - self._confirmed, 0)

    def has_ended(self, now: datetime) -> bool:
        return self.ends_at is not None and now >= self.ends_at

    def waitlist_position(self, application_id: str) -> int | None:
        """The place in the waitlist, counted among the loaded enrollments."""
        for position, entry in enumerate(self.waitlist, start=1):
            if entry.application_id == application_id:
                return position
        return None

    # -- operations ----------------------------------------------------------------------------

    def accept(
        self, application_id: str, *, rank: int | None, arrival: int, now: datetime
    ) -> Outcome:
        """An accepted application: a seat if one is free, else the waitlist. Known applications
        (a redelivery, a re-decision, or a withdrawal seen first) change nothing."""
        if application_id in self._by_id:
            return Outcome()
        free_before = self.seats_left
        entry = Enrollment(application_id, "waitlisted", rank, arrival)
        if self.seats_left > 0 and not self.has_ended(now):
            confirmed = self._confirm(entry, now)
            return Outcome([self._change("confirmed", confirmed)], self._filled(free_before))
        self._put(entry)
        change = self._change("waitlisted", entry, self._newcomer_position(entry))
        # After the end the waitlist leads nowhere: closed at once, this startup included.
        return Outcome([change, *self._promote(now)])

    def withdraw(
        self, application_id: str, *, arrival: int, now: datetime, reason: str = WITHDRAWN
    ) -> Outcome:
        """The applicant left. Frees a held seat; for an application we never enrolled, records
        a tombstone (no event) so that an acceptance arriving later takes nothing."""
        entry = self._by_id.get(application_id)
        if entry is None:
            tombstone = Enrollment(
                application_id, "cancelled", None, arrival, reason=kept_reason(reason)
            )
            self._put(tombstone)
            return Outcome(tombstone=tombstone)
        if entry.status == "cancelled":
            return Outcome()
        return self._release(entry, reason, now)

    def cancel(self, application_id: str, *, reason: str, now: datetime) -> Outcome:
        """Staff end an enrollment (or the agreement deadline passed)."""
        entry = self._by_id.get(application_id)
        if entry is None:
            raise EnrollmentConflict(f"application {application_id} is not enrolled")
        if entry.status == "cancelled":
            raise EnrollmentConflict(f"the enrollment was already cancelled: {entry.reason}")
        return self._release(entry, reason, now)

    def expire(self, application_id: str, *, now: datetime) -> Outcome:
        """Cancel a confirmed enrollment whose agreement deadline passed unsigned; anything else
        (signed meanwhile, already cancelled, not due yet) is left alone."""
        entry = self._by_id.get(application_id)
        if (
            entry is None
            or entry.status != "confirmed"
            or entry.agreement_signed_at is not None
            or entry.agreement_due_at is None
            or entry.agreement_due_at > now
        ):
            return Outcome()
        return self._release(entry, DEADLINE_PASSED, now)

    def give_up_agreement(self, application_id: str, *, reason: str, now: datetime) -> Outcome:
        """The startup holding a seat gives up its agreement (협약 포기), signed or not: the seat
        goes to the next reserve rank. A waiting or ended enrollment has no agreement to give."""
        entry = self._by_id.get(application_id)
        if entry is None or entry.status != "confirmed":
            state = entry.status if entry else "not enrolled"
            raise EnrollmentConflict(
                f"only a startup holding a seat gives up its agreement ({state})"
            )
        return self._release(entry, f"{AGREEMENT_GIVEN_UP}: {reason}", now)

    def sign_agreement(self, application_id: str, *, now: datetime) -> Outcome:
        entry = self._by_id.get(application_id)
        if entry is None or entry.status != "confirmed":
            state = entry.status if entry else "not enrolled"
            raise EnrollmentConflict(f"only a confirmed enrollment signs an agreement ({state})")
        if entry.agreement_signed_at is not None:
            raise EnrollmentConflict("the agreement was already signed")
        if entry.agreement_due_at is not None and entry.agreement_due_at <= now:
            # The seat is already forfeit, whether or not the deadline worker has run yet: the
            # outcome must not depend on which of the two gets the cohort lock first.
            raise EnrollmentConflict(
                f"the agreement deadline passed at {entry.agreement_due_at.isoformat()};"
                " the seat goes to the waitlist"
            )
        signed = dataclasses.replace(entry, agreement_signed_at=now)
        self._put(signed)
        return Outcome([self._change("agreement_signed", signed)])

    def resize(self, seats: int, *, now: datetime) -> Outcome:
        """Staff changed the number of seats: added seats promote, removed ones evict nobody."""
        self.seats = seats
        free_before = self.seats_left
        changes = self._promote(now)
        return Outcome(changes, self._filled(free_before))

    def rebalance(self, *, now: datetime) -> Outcome:
        """Promote into any free seat (after the catalog stored new seats for the cohort), or,
        once the cohort has ended, close its waitlist (the sweep)."""
        return self.resize(self.seats, now=now)

    # -- internals -----------------------------------------------------------------------------

    def _put(self, entry: Enrollment) -> None:
        """Store an enrollment's new state, keeping the counts true."""
        before = self._by_id.get(entry.application_id)
        self._by_id[entry.application_id] = entry
        for status, step in ((before.status if before else None, -1), (entry.status, 1)):
            if status == "confirmed":
                self._confirmed += step
            elif status == "waitlisted":
                self._waitlisted += step

    def _release(self, entry: Enrollment, reason: str, now: datetime) -> Outcome:
        free_before = self.seats_left
        cancelled = dataclasses.replace(entry, status="cancelled", reason=kept_reason(reason))
        self._put(cancelled)
        changes = [self._change("cancelled", cancelled), *self._promote(now)]
        # A seat freed and at once refilled was never free to anyone outside: no `filled` then.
        return Outcome(changes, self._filled(free_before))

    def _promote(self, now: datetime) -> list[Change]:
        if self.has_ended(now):
            return self._close_waitlist()
        changes = []
        while self.seats_left > 0 and (best := self._best_waiting()) is not None:
            promoted = self._confirm(best, now)
            changes.append(self._change("promoted", promoted))
        return changes

    def _best_waiting(self) -> Enrollment | None:
        """The best waiting enrollment, provided nobody that was not loaded could rank ahead."""
        waiting = self.waitlist
        if self._unloaded_waiting == 0:
            return waiting[0] if waiting else None
        head_ends_at = self._head_ends_at
        if waiting and head_ends_at is not None and waiting[0].waitlist_key <= head_ends_at:
            return waiting[0]
        raise IncompleteCohort("a promotion needs more of the waitlist than was loaded")

    def _close_waitlist(self) -> list[Change]:
        if self._unloaded_waiting:
            raise IncompleteCohort("closing the waitlist needs all of it")
        changes = []
        for waiting in self.waitlist:
            closed = dataclasses.replace(waiting, status="cancelled", reason=COHORT_ENDED)
            self._put(closed)
            changes.append(self._change("cancelled", closed))
        return changes

    def _newcomer_position(self, entry: Enrollment) -> int | None:
        if self._unloaded_waiting == 0:
            return self.waitlist_position(entry.application_id)
        if self._ahead_of_newcomer is None:
            raise IncompleteCohort("a waitlisting needs the number of startups ahead")
        return self._ahead_of_newcomer + 1

    def _confirm(self, entry: Enrollment, now: datetime) -> Enrollment:
        # The agreement deadline runs from the moment the seat is given, promotion included.
        due = now + self.agreement_due
        confirmed = dataclasses.replace(entry, status="confirmed", agreement_due_at=due)
        self._put(confirmed)
        return confirmed

    def _change(self, kind: ChangeKind, entry: Enrollment, position: int | None = None) -> Change:
        return Change(kind, entry, self.seats, self._confirmed, position)

    def _filled(self, free_before: int) -> bool:
        return free_before > 0 and self.seats_left == 0
