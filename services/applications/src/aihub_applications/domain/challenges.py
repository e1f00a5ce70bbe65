"""기피 신청 (challenges of a reviewer), pure: which outcome a decision may give."""

from __future__ import annotations

from typing import Literal

from aihub_applications.domain.status import RuleBroken

Outcome = Literal["upheld", "dismissed"]


def require_open(challenge_id: str, status: str) -> None:
    """A challenge is decided once: 409 with its outcome when it is no longer open."""
    if status != "open":
        raise RuleBroken(f"challenge {challenge_id} was already decided: {status}")
