"""이의제기 (appeals), pure: whether a stage decision may still be appealed, and what an applicant
who asks is told about the stage (never who reviewed, nor any one review)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from aihub_applications.domain.stage_scoring import StageResult
from aihub_applications.domain.status import RuleBroken, Status
from aihub_shared.contracts.applications import CriterionDisclosure, StageDisclosure
from aihub_shared.contracts.programs import ReviewStage


class CodedRefusal(RuleBroken):
    """An appeal (or a publisher's request) the rules refuse (409); `code` is the refusal's
    machine-readable reason and `korean` its message in Korean, as a publishing system reads
    them in its receipt."""

    def __init__(
        self, code: str, message: str, korean: str, params: Mapping[str, str] | None = None
    ) -> None:
        # The code (and values) travel in the HTTP answer too, as every coded refusal's do
        # (`aihub_shared.refusals`): the console says them in its reader's language.
        super().__init__(message, code=code, params=params)
        self.korean = korean

    @property
    def both_languages(self) -> str:
        """`한국어 / English`, as receipts say what the applicant's language does not tell."""
        return f"{self.korean} / {self}"


def appeal_deadline(
    status: Status, stage: ReviewStage, decided_at: datetime | None, now: datetime
) -> datetime:
    """When the appeal window of the application's rejection in `stage` closes; refused when
    the application is not rejected, the stage offers no appeals, or the window has closed
    (`now` after the deadline; the deadline itself is still in time)."""
    if status is not Status.REJECTED or decided_at is None:
        raise CodedRefusal(
            "not_rejected",
            f"only a rejected application can be appealed; this one is {status.value}",
            "탈락(미선정)한 신청만 이의제기할 수 있습니다.",
        )
    if stage.appeal_window_days is None:
        raise CodedRefusal(
            "appeals_not_offered",
            f"stage {stage.code} offers no appeals",
            f"{stage.name_ko} 단계는 이의제기를 받지 않습니다.",
        )
    deadline = decided_at + timedelta(days=stage.appeal_window_days)
    if now > deadline:
        raise CodedRefusal(
            "appeal_window_closed",
            f"the appeal window of {stage.code} closed at {deadline.isoformat()}"
            f" ({stage.appeal_window_days} days after the decision)",
            f"{stage.name_ko} 이의제기 기간이 끝났습니다(결과 통보 후"
            f" {stage.appeal_window_days}일, {deadline.isoformat()}까지).",
            {"closed_at": deadline.isoformat()},
        )
    return deadline


def already_appealed(appeal_id: str) -> CodedRefusal:
    return CodedRefusal(
        "already_appealed",
        f"this decision was already appealed (appeal {appeal_id})",
        "이 결과에 대한 이의제기가 이미 접수되었습니다.",
    )


def require_open(appeal_id: str, status: str) -> None:
    """An appeal is decided once: 409 with its outcome when it is no longer open."""
    if status != "open":
        raise RuleBroken(f"appeal {appeal_id} was already decided: {status}")


def disclosure(stage: ReviewStage, result: StageResult | None) -> StageDisclosure:
    """What the stage's `appeal_disclosure` lets the applicant know of its result: the stage
    score (what ranked) and the cut-off, and with `score_and_criteria` each criterion's average
    over the reviews that counted. A stage without a score for it discloses no figures."""
    level = stage.appeal_disclosure
    if level == "none":
        return StageDisclosure(stage_code=stage.code, level="none")
    criteria = []
    if level == "score_and_criteria" and result is not None:
        criteria = [
            CriterionDisclosure(
                code=c.code,
                name_ko=c.name_ko,
                name_en=c.name_en,
                average=result.criterion_averages[c.code],
                cutoff=c.cutoff,
            )
            for c in stage.criteria
            if c.code in result.criterion_averages
        ]
    return StageDisclosure(
        stage_code=stage.code,
        level=level,
        stage_score=result.score if result is not None else None,
        cutoff_score=stage.cutoff_score,
        criteria=criteria,
    )
