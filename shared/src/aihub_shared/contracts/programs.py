"""Events of the programs service: catalog (compacted, keyed by cohort), enrollments, KPIs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.privacy import ConsentTextRef, RetentionPeriods
from aihub_shared.contracts.values import (
    AnswerKey,
    BusinessRegistrationNumber,
    Code,
    Contact,
    ExternalId,
    FreeText,
    Reason,
    SingleLineText,
    WholeNumber,
)


class CohortQuestion(BaseModel):
    """A question applicants answer; `key` is the key in `application.submitted`'s `answers`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    key: AnswerKey
    label_ko: SingleLineText
    label_en: SingleLineText
    required: bool = True


class RubricCriterion(BaseModel):
    """One scored criterion of a review stage; reviewers score it 0–100."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    name_ko: SingleLineText
    name_en: SingleLineText
    weight: int = Field(ge=1, le=100, description="Relative weight inside the stage.")
    cutoff: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description=(
            "과락 per criterion: an application whose reviewers' average on this criterion is"
            " below it cannot pass the stage or be selected, whatever its rank. None: no minimum."
        ),
    )


class ReviewStage(BaseModel):
    """A review stage, e.g. 서류평가 (document review) then 발표평가 (presentation review)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    name_ko: SingleLineText
    name_en: SingleLineText
    weight: int = Field(ge=0, le=100, description="Percent of the final score; stages sum to 100.")
    criteria: list[RubricCriterion] = Field(min_length=1, max_length=20)
    min_reviewers: int = Field(default=2, ge=1, le=20)
    pass_threshold: float | None = Field(
        default=None, ge=0, le=100, description="Stage score needed to advance, if any."
    )
    advance_top_k: int | None = Field(
        default=None, ge=1, description="At most this many advance, best first, if set."
    )
    cutoff_score: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description=(
            "과락: a stage score below it fails the stage whatever the rank (also at selection"
            " and when bonus points would lift the final score). None: no cut-off."
        ),
    )
    trim_extremes_from: int | None = Field(
        default=None,
        ge=3,
        le=20,
        description=(
            "최고·최저점 제외: with at least this many scored reviews, one highest and one lowest"
            " review score (one each when tied) are dropped before averaging. None: plain mean."
        ),
    )
    min_external_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description=(
            "Panel rule: at least this share of the stage's reviewers (those with assignments"
            " that count) are external (외부 평가위원), checked when the stage is closed."
        ),
    )
    blind: bool = Field(
        default=False,
        description=(
            "Blind review: reviewers of this stage see a stable anonymous label instead of the"
            " startup's name, registration number, website and contact (managers see all)."
        ),
    )
    pledge_required: bool = Field(
        default=False,
        description=(
            "평가위원 서약: a reviewer accepts the pledge (no conflict of interest,"
            " confidentiality) before their first score in this stage."
        ),
    )
    calibration: Literal["none", "z-score"] = Field(
        default="none",
        description=(
            "`z-score`: each reviewer's scores are standardised within the stage,"
            " ((x-mean)/sd)*10+50, before averaging, so harsh and lenient reviewers weigh alike."
        ),
    )
    appeal_window_days: int | None = Field(
        default=None,
        ge=1,
        le=90,
        description=(
            "이의제기: an application rejected in this stage (or not selected, in the last stage)"
            " may be appealed within this many days of the decision. None: no appeals."
        ),
    )
    appeal_disclosure: Literal["none", "score", "score_and_criteria"] = Field(
        default="none",
        description=(
            "What an applicant who asks is told about this stage: `score` the stage score and"
            " the cut-off, `score_and_criteria` also each criterion's average and cut-off."
            " Never the reviewers or their individual scores."
        ),
    )


class BonusItem(BaseModel):
    """A bonus item (가점) of a cohort, e.g. 청년 창업자 +1; a manager grants it per application,
    or, when it names an answer and a value, applications derives it from the declared answers
    (a manager may still take it back, with a reason)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    name_ko: SingleLineText
    name_en: SingleLineText
    points: float = Field(gt=0, le=10, description="Added to the final score once granted.")
    answer_key: AnswerKey | None = Field(
        default=None,
        description="The cohort question whose declared answer earns the item automatically.",
    )
    answer_value: SingleLineText | None = Field(
        default=None,
        description="The answer that earns it (compared ignoring case and surrounding spaces).",
    )

    @model_validator(mode="after")
    def _derivation_whole(self) -> BonusItem:
        if (self.answer_key is None) != (self.answer_value is None):
            raise ValueError("answer_key and answer_value go together")
        return self


def default_review_stages() -> list[ReviewStage]:
    """서류평가 → 발표평가, weighted 30/70: what the hub runs unless a cohort says otherwise."""
    return [
        ReviewStage(
            code="document-review",
            name_ko="서류평가",
            name_en="Document review",
            weight=30,
            criteria=[
                RubricCriterion(
                    code="technology", name_ko="기술성", name_en="Technology", weight=40
                ),
                RubricCriterion(code="market", name_ko="시장성", name_en="Market", weight=30),
                RubricCriterion(code="team", name_ko="팀 역량", name_en="Team", weight=30),
            ],
        ),
        ReviewStage(
            code="presentation-review",
            name_ko="발표평가",
            name_en="Presentation review",
            weight=70,
            criteria=[
                RubricCriterion(
                    code="business-plan", name_ko="사업계획", name_en="Business plan", weight=50
                ),
                RubricCriterion(
                    code="hub-fit", name_ko="허브 적합성", name_en="Fit with the hub", weight=50
                ),
            ],
        ),
    ]


class CohortPublished(BaseModel):
    """The whole current state of a cohort and its program: a replica needs nothing else."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    program_code: Code
    program_name_ko: SingleLineText
    program_name_en: SingleLineText
    program_description_ko: FreeText = ""
    program_description_en: FreeText = ""
    partner: SingleLineText | None = None
    cohort_code: Code
    seats: int = Field(ge=0)
    application_opens_at: AwareDatetime
    application_closes_at: AwareDatetime
    starts_on: date | None = None
    ends_on: date | None = None
    max_startup_age_years: int | None = Field(default=None, ge=0)
    program_managers: list[Contact] = Field(default_factory=list)
    questions: list[CohortQuestion] = Field(default_factory=list, max_length=50)
    review_stages: list[ReviewStage] = Field(
        default_factory=default_review_stages, min_length=1, max_length=5
    )
    agreement_due_days: int = Field(
        default=14,
        ge=1,
        le=180,
        description="Days an enrolled startup has to sign its agreement before the seat is freed.",
    )
    consent_text: ConsentTextRef | None = Field(
        default=None,
        description="The consent text a submission must have agreed to (id and version); none:"
        " the boolean `consent_personal_info` suffices.",
    )
    retention: RetentionPeriods = Field(
        default_factory=RetentionPeriods,
        description="Days after `ends_on` that applicants' data is kept, selected or not;"
        " then it is anonymised (a cohort without `ends_on` keeps it until one is set).",
    )
    bonus_items: list[BonusItem] = Field(
        default_factory=list,
        max_length=20,
        description="가점 a manager may grant per application, added after averaging.",
    )
    bonus_cap: float | None = Field(
        default=None,
        gt=0,
        le=20,
        description="The most bonus points one application's final score gains; None: the sum.",
    )
    snapshot: bool = Field(
        default=False,
        description=(
            "True when `aihub-programs republish` sent it: the programs service's current state,"
            " which replaces whatever a replica holds, even a state stamped later (the repair"
            " for a replica that kept a wrong 'newer' state). Only the programs service may"
            " write programs.catalog."
        ),
    )

    @model_validator(mode="after")
    def _stage_weights_sum_to_100(self) -> CohortPublished:
        if sum(stage.weight for stage in self.review_stages) != 100:
            raise ValueError("review stage weights must sum to 100")
        if len({stage.code for stage in self.review_stages}) != len(self.review_stages):
            raise ValueError("review stage codes must be unique")
        if len({item.code for item in self.bonus_items}) != len(self.bonus_items):
            raise ValueError("bonus item codes must be unique")
        return self


EnrollmentStatus = Literal["confirmed", "waitlisted", "cancelled"]
#: Why a cancelled enrollment ended, for machines (`reason` says it for people).
CancellationCause = Literal[
    "withdrawn",
    "cancelled_by_staff",
    "agreement_deadline_passed",
    "agreement_given_up",
    "cohort_ended",
]


class EnrollmentChanged(BaseModel):
    """Shared shape of every `enrollment.*` event, keyed by cohort code (one cohort, one order).

    `confirmed` holds a seat until `agreement_due_at`; `promoted` is a confirmation that came
    from the waitlist; `cancelled` frees the seat (`reason` says why: withdrawn, cancelled by
    staff, agreement deadline passed, agreement given up (협약 포기), cohort ended; `cause` says
    which of these, for machines).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    enrollment_id: str
    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    status: EnrollmentStatus
    waitlist_position: int | None = Field(default=None, ge=1)
    rank: int | None = Field(default=None, ge=1, description="Final ranking from the review.")
    seats: int = Field(ge=0)
    seats_taken: int = Field(ge=0)
    agreement_due_at: AwareDatetime | None = None
    agreement_signed_at: AwareDatetime | None = None
    reason: Reason | None = None
    cause: CancellationCause | None = Field(
        default=None, description="Set on `enrollment.cancelled`: which rule ended it."
    )


class CohortFilled(BaseModel):
    """`cohort.filled`: the last seat of a cohort was taken."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    program_code: Code
    cohort_code: Code
    seats: int = Field(ge=0)
    seats_taken: int = Field(ge=0)
    waitlisted: int = Field(ge=0)


_QUARTER = r"^20[0-9]{2}-Q[1-4]$"


class StartupKpiReported(BaseModel):
    """`startup.kpi_reported` on `intake.kpi-reports`, keyed by `report_id`: one quarter's figures.

    Amounts are whole Korean won. A startup is identified by its business registration number and
    the cohort it was enrolled in.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    report_id: ExternalId = Field(
        description="Unique per publishing system (the envelope's `source`); resending is safe."
        " It is the Kafka key, which is never erased: no personal data in it (not the"
        " registration number).",
    )
    business_registration_number: BusinessRegistrationNumber
    cohort_code: Code
    quarter: str = Field(examples=["2027-Q1"], description="`YYYY-Qn`.", pattern=_QUARTER)
    revenue_krw: WholeNumber = Field(ge=0, le=10**15)
    investment_raised_krw: WholeNumber = Field(ge=0, le=10**15)
    headcount: WholeNumber = Field(ge=0, le=100_000)


class KpiReceipt(BaseModel):
    """`kpi.receipt` on `intake.receipts`, keyed by `report_id`: the outcome of one report."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    report_id: str = Field(max_length=128)
    submitted_by: str = Field(max_length=256)
    outcome: Literal["accepted", "refused"]
    reasons: list[Refusal] = Field(default_factory=list)
