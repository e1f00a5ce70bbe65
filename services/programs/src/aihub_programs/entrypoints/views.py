"""What the staff API answers, typed, so OpenAPI names every field a client reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class ProgramSummary(BaseModel):
    code: str
    name_ko: str
    name_en: str
    partner: str | None
    description_ko: str | None
    description_en: str | None
    program_managers: list[dict[str, Any]] = Field(description="Name, e-mail and locale each.")
    cohorts: list[str] = Field(description="The codes of its cohorts.")


class CohortView(BaseModel):
    """A cohort with its program, in the shape of the `cohort.published` event."""

    cohort_code: str
    seats: int
    application_opens_at: datetime
    application_closes_at: datetime
    starts_on: date | None
    ends_on: date | None
    max_startup_age_years: int | None
    questions: list[dict[str, Any]]
    review_stages: list[dict[str, Any]] | None = Field(
        default=None, description="Absent: the default stages (서류평가 → 발표평가)."
    )
    agreement_due_days: int
    consent_text: dict[str, Any] | None = Field(
        default=None, description="The consent text (id, version) submissions must agree to."
    )
    retention: dict[str, int] = Field(
        description="Days after `ends_on` applicants' data is kept: `selected_days`,"
        " `not_selected_days`."
    )
    bonus_items: list[dict[str, Any]] = Field(default_factory=list)
    bonus_cap: float | None = None
    program_code: str
    program_name_ko: str
    program_name_en: str
    program_description_ko: str | None
    program_description_en: str | None
    partner: str | None
    program_managers: list[dict[str, Any]]


class ProgramDetail(ProgramSummary):
    cohorts: list[CohortView]  # type: ignore[assignment]  # in full, not only their codes


class EnrollmentFields(BaseModel):
    """What every answer about an enrollment says."""

    application_id: str
    startup_name: str
    business_registration_number: str | None
    status: str = Field(description="`confirmed`, `waitlisted` or `cancelled`.")
    rank: int | None
    agreement_due_at: datetime | None
    agreement_signed_at: datetime | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    waitlist_position: int | None = Field(description="Current place in line, if waitlisted.")


class ListedEnrollment(EnrollmentFields):
    """One seat, waitlist place or ended enrollment of a cohort."""

    enrollment_id: str


class CohortDetail(CohortView):
    seats_taken: int
    waitlisted: int


class Enrollment(EnrollmentFields):
    """An enrollment after a staff action."""

    id: uuid.UUID
    cohort_code: str
    program_code: str | None
    held_seat: bool
    seat_released_at: datetime | None
    arrival: int = Field(description="Order of arrival: the waitlist's tie-breaker.")


class QuarterFigures(BaseModel):
    quarter: str = Field(description="`YYYY-Qn`, Korean quarters.")
    companies_reporting: int
    revenue_krw: int = Field(description="Revenue of that quarter, summed over the reports.")
    investment_krw: int = Field(description="Investment raised in that quarter.")
    headcount: int = Field(description="Headcount reported for that quarter, summed.")


class ProgramFigures(BaseModel):
    program_code: str
    program_name_ko: str
    program_name_en: str
    companies_supported: int
    cumulative_revenue_krw: int
    cumulative_investment_krw: int
    latest_headcount: int


class HubOutcomes(BaseModel):
    companies_supported: int = Field(description="Startups that ever held a seat.")
    companies_reporting: int
    reports: int
    cumulative_revenue_krw: int
    cumulative_investment_krw: int
    latest_headcount: int = Field(description="Each startup's latest quarter, summed.")
    by_quarter: list[QuarterFigures] = Field(description="Each reported quarter, oldest first.")
    by_program: list[ProgramFigures] = Field(
        description="The same figures per program (those with a startup supported or reporting)."
    )


class CohortOutcomes(HubOutcomes):
    cohort_code: str
