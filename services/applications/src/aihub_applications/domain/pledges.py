"""평가위원 서약 (reviewer pledge): the text a reviewer accepts before their first score in a
stage that requires it, and the rule (pure)."""

from __future__ import annotations

from datetime import datetime

from aihub_applications.domain.status import RuleBroken
from aihub_shared.contracts.programs import ReviewStage

#: Bumped whenever the text changes: an acceptance records the version accepted.
PLEDGE_VERSION = "2026-1"
PLEDGE_TEXT = {
    "ko": (
        "본인은 평가위원으로서 (1) 평가 대상 기업과 이해관계(임직원·주주·자문·친족 관계 등)가"
        " 없으며, 이해관계가 있는 경우 즉시 회피를 신청하고, (2) 평가 과정에서 알게 된 정보를"
        " 평가 외의 목적으로 사용하거나 누설하지 않으며, (3) 공정하고 성실하게 평가할 것을"
        " 서약합니다."
    ),
    "en": (
        "As a reviewer I pledge that (1) I have no conflict of interest with the startups I"
        " review (employment, shareholding, advice, family) and will declare one at once if it"
        " arises, (2) I will not use or disclose what I learn in the review for any other"
        " purpose, and (3) I will review fairly and diligently."
    ),
}


def require_pledged(stage: ReviewStage, reviewer_id: str, accepted_at: datetime | None) -> None:
    """409 with the reason when the stage requires the pledge and the reviewer has not given it."""
    if stage.pledge_required and accepted_at is None:
        raise RuleBroken(
            f"{reviewer_id} has not accepted the reviewer pledge for {stage.code}:"
            " accept it (POST /cohorts/{cohort}/stages/{stage}/pledge) before the first score"
        )
