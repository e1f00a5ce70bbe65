"""Events of the programs service: the catalog (compacted, keyed by cohort) and enrollments."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aihub_shared.contracts.values import Code, Contact, SingleLineText


class CohortPublished(BaseModel):
    """The whole current state of a cohort and its program: a replica needs nothing else."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    program_code: Code
    program_name_ko: SingleLineText
    program_name_en: SingleLineText
    partner: SingleLineText | None = None
    cohort_code: Code
    seats: int = Field(ge=0)
    application_opens_at: AwareDatetime
    application_closes_at: AwareDatetime
    starts_on: date | None = None
    ends_on: date | None = None
    max_startup_age_years: int | None = Field(default=None, ge=0)
    program_managers: list[Contact] = Field(default_factory=list)


class EnrollmentChanged(BaseModel):
    """Shared shape of `enrollment.confirmed`, `enrollment.waitlisted` and later transitions."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    enrollment_id: str
    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None = Field(default=None, ge=1)
    seats: int = Field(ge=0)
    seats_taken: int = Field(ge=0)
