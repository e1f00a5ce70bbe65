"""A run of acceptances into one cohort (a bulk decision's `application.accepted` events, in
their order), decided in memory on what the store loaded once for the whole run.

Each acceptance is still one `CohortSeats.accept` on the part of the cohort the store would have
loaded for it alone (`roster.py`: the waitlist's head `waitlist_head_needed` says, the counts and,
in a full cohort, how many wait ahead of the newcomer), had the run's earlier acceptances been
stored first. That part is built here from the stored head loaded once (a prefix of the stored
waitlist), the enrollments the run made or changed so far, and per newcomer the number of stored
waiting enrollments that rank ahead of it. Stored waiting enrollments that were not loaded never
change in the run (an operation only changes what it loaded), and all of them rank after the
loaded head: so the run knows, for any key, how many of them are ahead.

`tests/test_acceptance_run_property.py` proves the outcomes are those of the acceptances applied
one by one to the whole cohort.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aihub_programs.domain.allocation import CohortSeats
from aihub_programs.domain.enrollments import Counted, Enrollment, Outcome, WaitlistKey
from aihub_programs.domain.roster import waitlist_head_needed


@dataclass(frozen=True)
class Newcomer:
    """An acceptance of an application the store does not know yet."""

    application_id: str
    rank: int | None
    arrival: int
    #: How many of the cohort's stored waiting enrollments rank ahead of it (None: not counted,
    #: when the store loaded the whole waitlist or nobody waits).
    stored_ahead: int | None = None


class AcceptanceRun:
    """The cohort's seats through a run of acceptances: what the store loaded for the run, and
    each enrollment the run made or changed in its latest state."""

    def __init__(
        self,
        seats: int,
        *,
        confirmed: int,
        waitlisted: int,
        head: Sequence[Enrollment],
        agreement_due: timedelta,
        ends_at: datetime | None,
    ) -> None:
        self.seats = seats
        self.agreement_due = agreement_due
        self.ends_at = ends_at
        self._confirmed = confirmed
        self._waitlisted = waitlisted
        #: The known waiting enrollments (the loaded head's and the run's), best first.
        self._waiting = sorted(head, key=_key)
        self._known = {e.application_id: e for e in head}
        #: How much of the stored waitlist was loaded, up to which key, and how much was not.
        self._loaded_head = len(head)
        self._head_ends_at = self._waiting[-1].waitlist_key if head else None
        self._unloaded = waitlisted - len(head)

    @property
    def confirmed_count(self) -> int:
        return self._confirmed

    @property
    def waitlisted_count(self) -> int:
        return self._waitlisted

    def accept(self, newcomer: Newcomer, now: datetime) -> Outcome:
        """One acceptance, decided on the part of the cohort the store would load for it."""
        seats = self._part_for(newcomer, now)
        outcome = seats.accept(
            newcomer.application_id, rank=newcomer.rank, arrival=newcomer.arrival, now=now
        )
        for changed in outcome.changed:
            self._store(changed)
        self._confirmed, self._waitlisted = seats.confirmed_count, seats.waitlisted_count
        return outcome

    def _store(self, entry: Enrollment) -> None:
        before = self._known.get(entry.application_id)
        self._known[entry.application_id] = entry
        if before is not None and before.status == "waitlisted":
            del self._waiting[bisect.bisect_left(self._waiting, before.waitlist_key, key=_key)]
        if entry.status == "waitlisted":
            bisect.insort(self._waiting, entry, key=_key)

    def _part_for(self, newcomer: Newcomer, now: datetime) -> CohortSeats:
        ended = self.ends_at is not None and now >= self.ends_at
        # Beyond the loaded head's end, waiting enrollments that were not loaded may come in
        # between: the head handed over stops there.
        in_order = len(self._waiting)
        if self._unloaded:
            ends_at = self._head_ends_at
            in_order = (
                0 if ends_at is None else bisect.bisect_right(self._waiting, ends_at, key=_key)
            )
        needed = waitlist_head_needed(self.seats, self._confirmed, self._waitlisted, ended=ended)
        head = self._waiting[: min(needed, in_order)]
        ahead = None
        if self._confirmed >= self.seats or ended:
            ahead = self._waiting_ahead(newcomer)
        counted = Counted(
            confirmed=self._confirmed,
            waitlisted=self._waitlisted,
            head_ends_at=head[-1].waitlist_key if head else None,
            ahead_of_newcomer=ahead,
        )
        return CohortSeats(
            self.seats,
            head,
            agreement_due=self.agreement_due,
            ends_at=self.ends_at,
            counted=counted,
        )

    def _waiting_ahead(self, newcomer: Newcomer) -> int | None:
        """How many wait ahead of the newcomer: the known ones, and the stored ones not loaded
        (the first `stored_ahead` of the stored waitlist are ahead; the loaded head is its
        first `_loaded_head`)."""
        key = Enrollment(newcomer.application_id, "waitlisted", newcomer.rank, newcomer.arrival)
        known_ahead = bisect.bisect_left(self._waiting, key.waitlist_key, key=_key)
        if not self._unloaded:
            return known_ahead
        if newcomer.stored_ahead is None:
            return None  # the domain raises IncompleteCohort if it needs the number
        return known_ahead + max(newcomer.stored_ahead - self._loaded_head, 0)


def _key(entry: Enrollment) -> WaitlistKey:
    return entry.waitlist_key
