"""Events of the applications service on `applications.lifecycle`, keyed by application id."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.values import Code, Contact, FreeText, SingleLineText


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
    """Shared shape of `application.accepted` and `application.rejected`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    application_id: str
    program_code: Code
    cohort_code: Code
    startup_name: SingleLineText
    decided_by: SingleLineText
    reason: FreeText = Field(max_length=2000)
    rank: int | None = Field(default=None, ge=1, description="Place in the final ranking.")
