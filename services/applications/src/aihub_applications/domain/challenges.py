"""기피 신청 (challenges of a reviewer), pure: which outcome a decision may give, and what a
publishing system is told when its challenge cannot be filed."""

from __future__ import annotations

from typing import Literal

from aihub_applications.domain.appeals import CodedRefusal
from aihub_applications.domain.status import RuleBroken

Outcome = Literal["upheld", "dismissed"]

#: The refusals of a challenge whose answer depends on who reviews the application: not its
#: reviewer in the stage (never, recused, replaced), or already challenged. Staff over HTTP
#: read them as they are; a publishing system gets `not_challengeable` for all of them.
NOT_ASSIGNED = "reviewer_not_assigned"
ALREADY_OPEN = "challenge_already_open"
REVEALS_THE_PANEL = frozenset({NOT_ASSIGNED, ALREADY_OPEN})


def require_open(challenge_id: str, status: str) -> None:
    """A challenge is decided once: 409 with its outcome when it is no longer open."""
    if status != "open":
        raise RuleBroken(f"challenge {challenge_id} was already decided: {status}")


def not_challengeable(stage_code: str) -> CodedRefusal:
    """The one refusal a publishing system gets for any challenge that the panel decides: it
    names neither the reviewer nor which of the reasons applied, so a publisher cannot learn
    from a refusal whether an e-mail reviews the application (who does is the program's to
    tell the applicant, not the door's). The applicant's recourse is the program's manager,
    who sees the precise reason."""
    return CodedRefusal(
        "not_challengeable",
        f"this challenge cannot be filed for the application in {stage_code}; the applicant"
        " may ask the program's manager",
        f"{stage_code} 단계의 이 기피 신청은 접수할 수 없습니다. 사업 담당자에게 문의해 주세요.",
        {"stage": stage_code},
    )
