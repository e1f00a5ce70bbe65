"""One application's place in its review and selection, as a value: every command either returns
the next state or raises `RuleBroken` with the reason, so no sequence of commands reaches a state
the rules do not allow (see the property tests)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aihub_applications.domain.status import (
    TERMINAL,
    IllegalTransition,
    RuleBroken,
    Status,
    transition,
)


@dataclass(frozen=True)
class Lifecycle:
    status: Status
    #: Index of the review stage the application is in (meaningful while `received`).
    stage_index: int
    stage_count: int
    rank: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.stage_index < self.stage_count:
            raise ValueError("stage index out of range")

    @property
    def in_review(self) -> bool:
        return self.status is Status.RECEIVED

    @property
    def at_final_stage(self) -> bool:
        return self.stage_index == self.stage_count - 1

    def is_reviewing(self, stage_index: int) -> bool:
        """Whether the stage is open for its reviewers: scores can still be given or corrected
        and conflicts declared (what `require_in_review` demands)."""
        return self.in_review and stage_index == self.stage_index

    def require_in_review(self, stage_index: int, what: str) -> None:
        """Assigning, scoring and conflicts happen only in the stage the application is in."""
        if not self.in_review:
            raise RuleBroken(
                f"cannot {what}: the application is {self.status.value}, not in review",
                code="not_in_review",
                params={"status": self.status.value},
            )
        if stage_index != self.stage_index:
            raise RuleBroken(
                f"cannot {what}: the application is in stage {self.stage_index + 1}"
                f" of {self.stage_count}, not stage {stage_index + 1}",
                code="wrong_stage",
                params={
                    "current": self.stage_index + 1,
                    "count": self.stage_count,
                    "stage": stage_index + 1,
                },
            )

    def advance(self) -> Lifecycle:
        self.require_in_review(self.stage_index, "advance")
        if self.at_final_stage:
            raise RuleBroken("cannot advance: the application is in the last review stage")
        return replace(self, stage_index=self.stage_index + 1)

    def accept(self, rank: int | None) -> Lifecycle:
        if rank is not None and rank < 1:
            raise RuleBroken("a rank starts at 1")
        return replace(self, status=transition(self.status, Status.ACCEPTED), rank=rank)

    def reject(self) -> Lifecycle:
        return replace(self, status=transition(self.status, Status.REJECTED))

    def reinstate(self) -> Lifecycle:
        """An upheld appeal (이의제기) reopens a rejection: in review again, in the stage it was
        rejected in. The one way back from `rejected`, which stays terminal for every other
        command (`status.transition`)."""
        if self.status is not Status.REJECTED:
            raise RuleBroken(f"cannot reinstate: the application is {self.status.value}")
        return replace(self, status=Status.RECEIVED, rank=None)

    def withdraw(self) -> Lifecycle:
        return replace(self, status=transition(self.status, Status.WITHDRAWN))

    def follow_enrollment(self, target: Status) -> Lifecycle:
        """The programs service's word on the seat. Repeats change nothing; after a withdrawal
        the enrollment events it causes (the seat freed) change nothing either; nor does word
        the application is already past (a waitlisting read after the promotion, e.g. a dead
        letter replayed late): programs never moves a seat back, so it is stale, not news."""
        if target not in {
            Status.ENROLLED,
            Status.WAITLISTED,
            Status.CANCELLED,
            Status.AGREEMENT_SIGNED,
        }:
            raise ValueError(f"{target.value} is not an enrollment status")
        if target is self.status or self.status is Status.WITHDRAWN:
            return self
        if _is_behind(target, self.status):
            return self
        return replace(self, status=transition(self.status, target))


#: How far the seat has come; programs only ever moves an application forward along it.
_SEAT_PROGRESS = (Status.WAITLISTED, Status.ENROLLED, Status.AGREEMENT_SIGNED)


def _is_behind(target: Status, current: Status) -> bool:
    return (
        target in _SEAT_PROGRESS
        and current in _SEAT_PROGRESS
        and _SEAT_PROGRESS.index(target) < _SEAT_PROGRESS.index(current)
    )


def is_legal(state: Lifecycle) -> bool:
    """What must hold in every reachable state."""
    if not 0 <= state.stage_index < state.stage_count:
        return False
    if state.rank is not None and state.rank < 1:
        return False
    # Only a selected application (or one that left after selection) carries a rank.
    return state.rank is None or state.status not in {
        Status.RECEIVED,
        Status.INELIGIBLE,
        Status.REJECTED,
    }


__all__ = ["TERMINAL", "IllegalTransition", "Lifecycle", "RuleBroken", "is_legal"]
