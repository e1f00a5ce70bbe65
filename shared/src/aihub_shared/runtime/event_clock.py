"""Event times a consumer may believe.

Replicas keep the state of the newest event (`time`), so one event stamped far in the future
would stay "the newest" for ever and every real update after it would be ignored as older. An
event more than `MAX_FUTURE_SKEW` ahead of this consumer's clock is refused with its reason (a
dead letter ops can see); a few minutes leave room for honest clock drift between hosts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime.errors import RejectedEvent

MAX_FUTURE_SKEW = timedelta(minutes=5)


def refuse_future_event(event: CloudEvent, *, now: datetime | None = None) -> None:
    """Raise `RejectedEvent` when `event.time` is more than `MAX_FUTURE_SKEW` ahead of now."""
    now = now or datetime.now(UTC)
    if event.time > now + MAX_FUTURE_SKEW:
        raise RejectedEvent(
            f"event time {event.time.isoformat()} is more than "
            f"{int(MAX_FUTURE_SKEW.total_seconds() // 60)} minutes ahead of this consumer's "
            f"clock ({now.isoformat(timespec='seconds')}); it would stay the newest state for ever"
        )
