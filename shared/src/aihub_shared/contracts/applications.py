"""Events of the applications service on `applications.lifecycle`.

Keyed (and `subject`ed) by cohort code, not application id: decisions and withdrawals of one
cohort must reach programs in the order they were made, ranks before reserve.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.values import (
    BusinessRegistrationNumber,
    Code,
    Contact,
    Reason,
    SingleLineText,
)


class ApplicationReceived(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    submission_id: str
    submitted_by: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    contact: Contact


class ApplicationIneligible(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    submission_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    contact: Contact
    reasons: list[Refusal] = Field(min_length=1)


class ApplicationDecided(BaseModel):
    """Shared shape of `application.accepted` and `application.rejected`.

    Acceptances carry the final `rank`: the cohort's seats go to the best ranks and the rest form
    the ranked reserve (예비 순위), which programs waitlists and promotes in rank order.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    business_registration_number: BusinessRegistrationNumber
    decided_by: SingleLineText
    reason: Reason
    rank: int | None = Field(default=None, ge=1, description="Place in the final ranking.")
    final_score: float | None = Field(default=None, ge=0, le=100)


class ApplicationWithdrawn(BaseModel):
    """`application.withdrawn`: the applicant left, at any stage; a held seat is freed."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    withdrawn_by: SingleLineText
    reason: Reason


class ReviewerRef(BaseModel):
    """A staff member; `id` is their e-mail address (the staff token's subject)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: EmailStr = Field(max_length=254)
    name: SingleLineText


class ReviewAssigned(BaseModel):
    """`review.assigned`: a reviewer has an application to score in a stage."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    stage_code: Code
    reviewer: ReviewerRef
    replaces: ReviewerRef | None = Field(
        default=None, description="The reviewer who declared a conflict of interest, if any."
    )
    due_at: AwareDatetime | None = None
    anonymous_label: SingleLineText | None = Field(
        default=None,
        description=(
            "Set when the stage is blind: what the reviewer is shown instead of the startup's"
            " name (in the mail too)."
        ),
    )


class ReviewSubmitted(BaseModel):
    """`review.submitted`: a reviewer's scores for an application's stage are complete.

    Published once per (application, stage, reviewer), when the last criterion is scored; a later
    correction of the scores is not published again. No scores: reviews stay confidential to the
    staff who may read them in applications.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    stage_code: Code
    reviewer: ReviewerRef
    submitted_at: AwareDatetime


class ReviewConflictDeclared(BaseModel):
    """`review.conflict_declared`: a reviewer stepped aside from an application's stage (회피)
    for a conflict of interest; their scores there no longer count and nothing of it is pending
    for them. Their replacement, when the pool has one, follows as `review.assigned` with
    `replaces`. The reviewer's reason stays in applications (the application's history)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    stage_code: Code
    reviewer: ReviewerRef
    declared_at: AwareDatetime


class ApplicationAdvanced(BaseModel):
    """`application.advanced`: the application passed a stage and enters the next one."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    from_stage: Code
    to_stage: Code
    stage_score: float = Field(ge=0, le=100)


class BonusPointsChanged(BaseModel):
    """`bonus_points.granted` / `bonus_points.revoked`: a manager granted or took back one of the
    cohort's bonus items (가점) for an application, with the reason; `total` is the application's
    bonus after the change, capped as the cohort says."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    item_code: Code
    points: float = Field(gt=0, le=10)
    total: float = Field(ge=0, le=20)
    reason: Reason
    changed_by: SingleLineText


class ReviewPledged(BaseModel):
    """`review.pledged`: a reviewer accepted the reviewer pledge (평가위원 서약: no conflict of
    interest, confidentiality) for a cohort's stage, once, before their first score there."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    program_code: Code
    cohort_code: Code
    stage_code: Code
    reviewer: ReviewerRef
    pledge_version: Code
    accepted_at: AwareDatetime


class ReviewChallenge(BaseModel):
    """`review.challenged` / `review.challenge_decided`: an applicant's challenge of a reviewer
    (기피 신청), filed through a manager; while `open` the reviewer's scores for the application
    in the stage do not count, `upheld` replaces the reviewer as after a conflict of interest,
    `dismissed` lets the scores count again. The reviewer's identity stays with staff: this
    travels on the internal lifecycle topic only."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    challenge_id: str
    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    stage_code: Code
    reviewer: ReviewerRef
    status: Literal["open", "upheld", "dismissed"]
    reason: Reason = Field(description="Why the applicant challenges the reviewer.")
    filed_by: SingleLineText
    decision_reason: Reason | None = None
    decided_by: SingleLineText | None = None


class CriterionDisclosure(BaseModel):
    """One rubric criterion as an appealing applicant may be told it: the average over the
    reviews that counted, and its cut-off (과락), if any."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    name_ko: SingleLineText
    name_en: SingleLineText
    average: float = Field(ge=0, le=100)
    cutoff: float | None = Field(default=None, ge=0, le=100)


class StageDisclosure(BaseModel):
    """What an applicant is told about one stage of their application when they ask (the
    stage's `appeal_disclosure`): the stage score and the cut-off, and with
    `score_and_criteria` each criterion's average. Never who reviewed, nor any one review."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage_code: Code
    level: Literal["none", "score", "score_and_criteria"]
    stage_score: float | None = Field(
        default=None, description="The score that ranked (null: level `none`, or not scored)."
    )
    cutoff_score: float | None = Field(default=None, description="The stage's 과락, if any.")
    criteria: list[CriterionDisclosure] = Field(default_factory=list)


class ApplicationAppeal(BaseModel):
    """`appeal.filed` / `appeal.decided`: an applicant's appeal (이의제기) of the rejection of
    their application in a stage (or its non-selection in the last one), filed by staff or a
    publishing system for the applicant; `upheld` puts the application back in review,
    `dismissed` leaves the rejection standing. With `disclosure_requested` the decided event
    carries the stage's figures the cohort discloses, for the applicant's mail."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    appeal_id: str
    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    stage_code: Code = Field(description="The stage whose decision is appealed.")
    status: Literal["open", "upheld", "dismissed"]
    reason: Reason = Field(description="Why the applicant appeals.")
    filed_by: SingleLineText = Field(
        description="The staff member, or `intake:<source>` of a publishing system."
    )
    disclosure_requested: bool = False
    decision_reason: Reason | None = None
    decided_by: SingleLineText | None = None
    reinstated_to_stage: Code | None = Field(
        default=None, description="Upheld: the stage the application is in review in again."
    )
    disclosure: StageDisclosure | None = None
