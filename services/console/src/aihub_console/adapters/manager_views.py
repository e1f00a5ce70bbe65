"""The console's models of the answers the manager pages read (the services document them in
OpenAPI: applications' `PipelineView`, `ApplicationSummary`, `RankingLine`, ...; programs'
`CohortDetail`, `ListedEnrollment`), and one page of a paginated list with its total."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and how many match in all (the service's `X-Total-Count`)."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        following = self.offset + self.limit
        return following if following < self.total else None

    @property
    def first_shown(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        return self.offset + len(self.items)


class Stage(BaseModel):
    code: str
    name_ko: str
    name_en: str
    weight: int
    min_reviewers: int = 2
    pass_threshold: float | None = None
    advance_top_k: int | None = None
    criteria: list[dict[str, Any]] = []
    #: "z-score": reviewer scores are calibrated before averaging (raw shown beside).
    calibration: str = "none"

    @property
    def name(self) -> dict[str, str]:
        return {"ko": self.name_ko, "en": self.name_en}


class ReplicatedCohort(BaseModel):
    cohort_code: str
    program_code: str
    program_name_ko: str
    program_name_en: str
    seats: int
    application_opens_at: datetime
    application_closes_at: datetime
    review_stages: list[Stage] | None
    questions: list[dict[str, Any]] = []

    @property
    def program_name(self) -> dict[str, str]:
        return {"ko": self.program_name_ko, "en": self.program_name_en}


class StageCount(BaseModel):
    stage_code: str
    name_ko: str
    name_en: str
    in_review: int

    @property
    def name(self) -> dict[str, str]:
        return {"ko": self.name_ko, "en": self.name_en}


class Pipeline(BaseModel):
    cohort_code: str
    total: int
    by_status: dict[str, int]
    stages: list[StageCount]


class ApplicationLine(BaseModel):
    id: uuid.UUID
    startup_name: str
    status: str
    stage_code: str | None
    rank: int | None
    final_score: float | None
    created_at: datetime


class HistoryEntry(BaseModel):
    action: str
    stage_code: str | None
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    at: datetime


class Review(BaseModel):
    stage_code: str
    reviewer_id: str
    reviewer_name: str
    due_at: datetime | None
    conflict_reason: str | None
    scores: dict[str, float] | None
    comment: str | None
    scored_at: datetime | None


class ApplicationDetail(BaseModel):
    id: uuid.UUID
    program_code: str
    cohort_code: str
    startup_name: str
    business_registration_number: str
    status: str
    stage_code: str | None
    stage_scores: dict[str, float]
    rank: int | None
    final_score: float | None
    submission: dict[str, Any]
    created_at: datetime
    history: list[HistoryEntry]
    reviews: list[Review]


class ReviewerProgress(BaseModel):
    reviewer_id: str
    reviewer_name: str
    assigned: int
    scored: int
    conflicts: int
    overdue: int
    external: bool = False


class AssignmentResult(BaseModel):
    assigned: list[dict[str, str]]
    short_of_reviewers: list[str]


class Outcome(BaseModel):
    application_id: str
    passed: bool
    score: float
    reason: str
    rank: int | None
    startup_name: str | None = None


class TieBreak(BaseModel):
    rule: str
    stage_code: str | None


class StageDetail(BaseModel):
    """One stage's score under its selection rules (applications' `StageDetail`)."""

    raw_score: float | None
    calibrated_score: float | None
    dropped_reviewers: list[str]
    spread: float | None
    reviews: int


class RankingLine(BaseModel):
    id: uuid.UUID
    startup_name: str
    status: str
    stage_code: str | None
    stage_scores: dict[str, float]
    rank: int | None
    final_score: float | None
    tie_broken_by: TieBreak | None
    stage_details: dict[str, StageDetail] = {}
    bonus_points: float = 0.0
    bonus_items: list[str] = []
    cutoff_failures: list[str] = []


class Decided(BaseModel):
    application_id: uuid.UUID
    status: str


class CohortDetail(BaseModel):
    cohort_code: str
    program_code: str
    program_name_ko: str
    program_name_en: str
    seats: int
    seats_taken: int
    waitlisted: int
    application_opens_at: datetime
    application_closes_at: datetime
    starts_on: str | None = None
    ends_on: str | None = None
    max_startup_age_years: int | None = None
    agreement_due_days: int
    questions: list[dict[str, Any]]
    review_stages: list[dict[str, Any]] | None = None
    # Sent back as they were when the settings page saves (`PUT` replaces the whole cohort).
    consent_text: dict[str, Any] | None = None
    retention: dict[str, Any] | None = None
    bonus_items: list[dict[str, Any]] = Field(default_factory=list)
    bonus_cap: float | None = None


class Enrollment(BaseModel):
    application_id: str
    startup_name: str
    status: str
    rank: int | None
    agreement_due_at: datetime | None
    agreement_signed_at: datetime | None
    reason: str | None
    waitlist_position: int | None
