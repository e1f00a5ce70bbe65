"""How long a failing event is retried, per kind of failure, before it becomes a dead letter."""

from __future__ import annotations

import dataclasses
import time

from tenacity import RetryCallState

from aihub_shared.runtime.errors import RetryLater, is_transient


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    retry_later_max_seconds: float = 600.0
    unexpected_max_attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 30.0


def failure_kind(exc: BaseException | None) -> str:
    if exc is not None and is_transient(exc):
        return "transient"
    return "later" if isinstance(exc, RetryLater) else "unexpected"


class RetryBudget:
    """When to stop retrying one event. Attempts and time are counted per kind of failure and
    start afresh when the kind changes: a long database outage must not use up the patience
    meant for a lagging replica, nor a few network blips the attempts meant for a bug."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._kind: str | None = None
        self._since = 0.0
        self._attempts = 0

    def __call__(self, state: RetryCallState) -> bool:
        kind = failure_kind(state.outcome.exception() if state.outcome else None)
        now = time.monotonic()
        if kind != self._kind:
            self._kind, self._since, self._attempts = kind, now, 0
        self._attempts += 1
        if kind == "transient":
            return False
        if kind == "later":
            return now - self._since >= self._policy.retry_later_max_seconds
        return self._attempts >= self._policy.unexpected_max_attempts
