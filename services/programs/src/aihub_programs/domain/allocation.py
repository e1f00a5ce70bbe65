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

Beside this module: what an operation sees of the cohort (`roster.py`), the enrollments and the
changes an operation makes (`enrollments.py`), why an enrollment ended
(`cancellation_reasons.py`) and when a cohort has ended (`cohort_calendar.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta

from aihub_programs.domain.cancellation_reasons import (
    AGREEMENT_GIVEN_UP,
    COHORT_ENDED,
    DEADLINE_PASSED,
    WITHDRAWN,
    kept_reason,
)
from aihub_programs.domain.enrollments import (
    Change,
    ChangeKind,
    Counted,
    Enrollment,
    EnrollmentConflict,
    Outcome,
)
from aihub_programs.domain.roster import Roster


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
        self._roster = Roster(enrollments, counted)

    # -- reading -------------------------------------------------------------------------------

    def get(self, application_id: str) -> Enrollment | None:
        return self._roster.get(application_id)

    @property
    def confirmed(self) -> list[Enrollment]:
        """Confirmed enrollments among those loaded."""
        return self._roster.confirmed

    @property
    def waitlist(self) -> list[Enrollment]:
        """Waiting startups among those loaded, best first."""
        return self._roster.waitlist

    @property
    def confirmed_count(self) -> int:
        return self._roster.confirmed_count

    @property
    def waitlisted_count(self) -> int:
        return self._roster.waitlisted_count

    @property
    def seats_left(self) -> int:
        # Seats lowered below the confirmed count evict nobody, so clamp at zero.
        return max(self.seats - self._roster.confirmed_count, 0)

    def has_ended(self, now: datetime) -> bool:
        return self.ends_at is not None and now >= self.ends_at

    def waitlist_position(self, application_id: str) -> int | None:
        """The place in the waitlist, counted among the loaded enrollments."""
        return self._roster.waitlist_position(application_id)

    # -- operations ----------------------------------------------------------------------------

    def accept(
        self, application_id: str, *, rank: int | None, arrival: int, now: datetime
    ) -> Outcome:
        """An accepted application: a seat if one is free, else the waitlist. Known applications
        (a redelivery, a re-decision, or a withdrawal seen first) change nothing."""
        if self._roster.get(application_id) is not None:
            return Outcome()
        free_before = self.seats_left
        entry = Enrollment(application_id, "waitlisted", rank, arrival)
        if self.seats_left > 0 and not self.has_ended(now):
            confirmed = self._confirm(entry, now)
            return Outcome([self._change("confirmed", confirmed)], self._filled(free_before))
        self._roster.put(entry)
        change = self._change("waitlisted", entry, self._roster.newcomer_position(entry))
        # After the end the waitlist leads nowhere: closed at once, this startup included.
        return Outcome([change, *self._promote(now)])

    def withdraw(
        self, application_id: str, *, arrival: int, now: datetime, reason: str = WITHDRAWN
    ) -> Outcome:
        """The applicant left. Frees a held seat; for an application we never enrolled, records
        a tombstone (no event) so that an acceptance arriving later takes nothing."""
        entry = self._roster.get(application_id)
        if entry is None:
            tombstone = Enrollment(
                application_id, "cancelled", None, arrival, reason=kept_reason(reason)
            )
            self._roster.put(tombstone)
            return Outcome(tombstone=tombstone)
        if entry.status == "cancelled":
            return Outcome()
        return self._release(entry, reason, now)

    def cancel(self, application_id: str, *, reason: str, now: datetime) -> Outcome:
        """Staff end an enrollment (or the agreement deadline passed)."""
        entry = self._roster.get(application_id)
        if entry is None:
            raise EnrollmentConflict(f"application {application_id} is not enrolled")
        if entry.status == "cancelled":
            raise EnrollmentConflict(f"the enrollment was already cancelled: {entry.reason}")
        return self._release(entry, reason, now)

    def expire(self, application_id: str, *, now: datetime) -> Outcome:
        """Cancel a confirmed enrollment whose agreement deadline passed unsigned; anything else
        (signed meanwhile, already cancelled, not due yet) is left alone."""
        entry = self._roster.get(application_id)
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
        entry = self._roster.get(application_id)
        if entry is None or entry.status != "confirmed":
            state = entry.status if entry else "not enrolled"
            raise EnrollmentConflict(
                f"only a startup holding a seat gives up its agreement ({state})"
            )
        return self._release(entry, f"{AGREEMENT_GIVEN_UP}: {reason}", now)

    def sign_agreement(self, application_id: str, *, now: datetime) -> Outcome:
        entry = self._roster.get(application_id)
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
        self._roster.put(signed)
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

    def _release(self, entry: Enrollment, reason: str, now: datetime) -> Outcome:
        free_before = self.seats_left
        cancelled = dataclasses.replace(entry, status="cancelled", reason=kept_reason(reason))
        self._roster.put(cancelled)
        changes = [self._change("cancelled", cancelled), *self._promote(now)]
        # A seat freed and at once refilled was never free to anyone outside: no `filled` then.
        return Outcome(changes, self._filled(free_before))

    def _promote(self, now: datetime) -> list[Change]:
        if self.has_ended(now):
            return self._close_waitlist()
        changes = []
        while self.seats_left > 0 and (best := self._roster.best_waiting()) is not None:
            promoted = self._confirm(best, now)
            changes.append(self._change("promoted", promoted))
        return changes

    def _close_waitlist(self) -> list[Change]:
        changes = []
        for waiting in self._roster.whole_waitlist():
            closed = dataclasses.replace(waiting, status="cancelled", reason=COHORT_ENDED)
            self._roster.put(closed)
            changes.append(self._change("cancelled", closed))
        return changes

    def _confirm(self, entry: Enrollment, now: datetime) -> Enrollment:
        # The agreement deadline runs from the moment the seat is given, promotion included.
        due = now + self.agreement_due
        confirmed = dataclasses.replace(entry, status="confirmed", agreement_due_at=due)
        self._roster.put(confirmed)
        return confirmed

    def _change(self, kind: ChangeKind, entry: Enrollment, position: int | None = None) -> Change:
        return Change(kind, entry, self.seats, self._roster.confirmed_count, position)

    def _filled(self, free_before: int) -> bool:
        return free_before > 0 and self.seats_left == 0
