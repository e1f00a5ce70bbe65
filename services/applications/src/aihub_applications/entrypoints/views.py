"""What the staff API answers, typed, so OpenAPI names every field a client reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from aihub_applications.domain.status import Status


class ApplicationSummary(BaseModel):
    """One line of `GET /applications`."""

    id: uuid.UUID
    submitted_by: str = Field(description="The publishing system (`source`, or `/http/<who>`).")
    submission_id: str
    program_code: str
    cohort_code: str
    startup_name: str = Field(description="A blind reviewer sees the anonymous label.")
    anonymous_label: str | None = Field(
        default=None, description="Set when the caller reviews it blind: identities are hidden."
    )
    status: Status
    stage_code: str | None = Field(description="The review stage; null: the cohort's first.")
    rank: int | None
    final_score: float | None
    created_at: datetime
    updated_at: datetime


class HistoryEntryView(BaseModel):
    action: str = Field(description="`status`, `advanced`, `assigned`, `scored`, `conflict`, ...")
    stage_code: str | None
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    at: datetime


class ReviewView(BaseModel):
    """One reviewer's assignment in one stage, with their scores once given."""

    stage_code: str
    reviewer_id: str
    reviewer_name: str
    assigned_by: str
    assigned_at: datetime
    due_at: datetime | None
    replaces: str | None
    conflict_reason: str | None
    scores: dict[str, int | float] | None = Field(description="Criterion code → score 0–100.")
    comment: str | None
    scored_at: datetime | None


class ApplicationDetail(BaseModel):
    """`GET /applications/{id}`: the application, its history and the reviews the caller sees."""

    id: uuid.UUID
    submitted_by: str
    submission_id: str
    program_code: str
    cohort_code: str
    startup_name: str = Field(description="A blind reviewer sees the anonymous label.")
    anonymous_label: str | None = Field(
        default=None, description="Set when the caller reviews it blind: identities are hidden."
    )
    business_registration_number: str
    status: Status
    stage_code: str | None
    stage_scores: dict[str, float] = Field(description="Each closed stage's score.")
    rank: int | None
    final_score: float | None
    refusals: list[dict[str, Any]] = Field(description="Eligibility reasons, if it was refused.")
    submission: dict[str, Any] = Field(
        description="The `application.submitted` data as sent (after an erasure: without the"
        " person's data)."
    )
    consent: dict[str, Any] | None = Field(
        description="The consent on record: text id, version, language, when, optional uses."
    )
    erased_at: datetime | None = Field(description="When the applicant's data was erased.")
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntryView]
    reviews: list[ReviewView]


class ReplicatedCohort(BaseModel):
    """One cohort of this service's replica of the programs catalog."""

    cohort_code: str
    program_code: str
    program_name_ko: str
    program_name_en: str
    seats: int
    application_opens_at: datetime
    application_closes_at: datetime
    max_startup_age_years: int | None
    questions: list[dict[str, Any]]
    review_stages: list[dict[str, Any]] | None = Field(description="null: the default stages.")
    agreement_due_days: int
    consent_text: dict[str, Any] | None = Field(
        default=None, description="The consent text (id, version) submissions must agree to."
    )
    ends_on: date | None = Field(default=None, description="When the cohort ends.")
    retention: dict[str, int] | None = Field(
        default=None,
        description="Days after `ends_on` applicants' data is kept (selected / not selected).",
    )
    event_time: datetime = Field(description="When programs published this state.")
    replicated_at: datetime


class StageDetail(BaseModel):
    """One scored stage under its selection rules (`domain.stage_scoring`)."""

    raw_score: float | None = Field(description="The kept reviews' raw scores averaged.")
    calibrated_score: float | None = Field(
        description="The kept reviews' calibrated (z-score) scores averaged; null without."
    )
    dropped_reviewers: list[str] = Field(
        description="Reviewers whose score the trimmed mean (최고·최저점 제외) dropped."
    )
    spread: float | None = Field(description="Highest minus lowest raw review score.")
    criterion_averages: dict[str, float]
    reviews: int = Field(description="Scored reviews that count.")


class TieBreakView(BaseModel):
    """The rule of the tie-break that put an application below the one above it, which has
    the same final score."""

    rule: str = Field(description="`stage_score`, `earlier_submission` or `application_id`.")
    stage_code: str | None = Field(description="For `stage_score`: the stage that decided.")


class RankingLine(BaseModel):
    """One application in the cohort's ranking."""

    id: uuid.UUID
    startup_name: str
    business_registration_number: str
    status: Status
    stage_code: str | None
    stage_scores: dict[str, float]
    rank: int | None
    final_score: float | None = Field(description="Weighted stage scores plus bonus points.")
    created_at: datetime
    tie_broken_by: TieBreakView | None = Field(
        description="Set when its final score equals the one ranked just above."
    )
    stage_details: dict[str, StageDetail] = Field(default_factory=dict)
    bonus_points: float = Field(default=0.0, description="가점 granted, capped.")
    bonus_items: list[str] = Field(default_factory=list)
    cutoff_failures: list[str] = Field(
        default_factory=list,
        description="Cut-offs (과락) it fails: it cannot pass or be selected whatever its rank.",
    )
