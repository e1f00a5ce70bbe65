"""The enrollments of one cohort that an allocation operation sees: all of them, or only those it
needs (the one it is about and the head of the waitlist) with the rest counted (`Counted`), so a
seat decision costs the same in a cohort of 10 or of 10,000. The counts are kept true as
enrollments change, and the waitlist is read in its order. Whatever would need an enrollment
that was not loaded raises `IncompleteCohort` instead of guessing."""

from __future__ import annotations

from collections.abc import Iterable

from aihub_programs.domain.enrollments import Counted, Enrollment, IncompleteCohort


def waitlist_head_needed(seats: int, confirmed: int, waitlisted: int, *, ended: bool) -> int:
    """How much of the waitlist's head any one operation may promote or close: each free seat
    plus the one a release frees, or all of it once the cohort has ended (it closes)."""
    return waitlisted if ended else min(max(seats - confirmed, 0) + 1, waitlisted)


class Roster:
    """The loaded enrollments of one cohort, by application, and the counts of all of them."""

    def __init__(self, enrollments: Iterable[Enrollment], counted: Counted | None) -> None:
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

    def waitlist_position(self, application_id: str) -> int | None:
        """The place in the waitlist, counted among the loaded enrollments."""
        for position, entry in enumerate(self.waitlist, start=1):
            if entry.application_id == application_id:
                return position
        return None

    def put(self, entry: Enrollment) -> None:
        """Store an enrollment's new state, keeping the counts true."""
        before = self._by_id.get(entry.application_id)
        self._by_id[entry.application_id] = entry
        for status, step in ((before.status if before else None, -1), (entry.status, 1)):
            if status == "confirmed":
                self._confirmed += step
            elif status == "waitlisted":
                self._waitlisted += step

    def best_waiting(self) -> Enrollment | None:
        """The best waiting enrollment, provided nobody that was not loaded could rank ahead."""
        waiting = self.waitlist
        if self._unloaded_waiting == 0:
            return waiting[0] if waiting else None
        head_ends_at = self._head_ends_at
        if waiting and head_ends_at is not None and waiting[0].waitlist_key <= head_ends_at:
            return waiting[0]
        raise IncompleteCohort("a promotion needs more of the waitlist than was loaded")

    def whole_waitlist(self) -> list[Enrollment]:
        """Every waiting enrollment, best first (to close the waitlist: it needs all of it)."""
        if self._unloaded_waiting:
            raise IncompleteCohort("closing the waitlist needs all of it")
        return self.waitlist

    def newcomer_position(self, entry: Enrollment) -> int | None:
        """The place of a just-waitlisted enrollment in the whole waitlist."""
        if self._unloaded_waiting == 0:
            return self.waitlist_position(entry.application_id)
        if self._ahead_of_newcomer is None:
            raise IncompleteCohort("a waitlisting needs the number of startups ahead")
        return self._ahead_of_newcomer + 1
