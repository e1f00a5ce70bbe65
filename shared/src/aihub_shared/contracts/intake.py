"""The public door: what publishing systems send on `intake.*` and the receipts they read back."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    StrictBool,
    StrictInt,
)

from aihub_shared.contracts.values import (
    AnswerKey,
    BusinessRegistrationNumber,
    Code,
    Contact,
    FreeText,
    SingleLineText,
)


def _date_as_text(value: object) -> object:
    # The schema says an ISO date; lax pydantic would also read a number as a Unix time.
    if isinstance(value, int | float):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


class StartupProfile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: SingleLineText
    business_registration_number: BusinessRegistrationNumber
    founded_on: Annotated[date, BeforeValidator(_date_as_text)]
    # Strict: the schema says integer and boolean, so "5" or 0 must not pass either.
    employees: StrictInt = Field(ge=0, le=100_000)
    website: HttpUrl | None = None
    ai_field: SingleLineText
    description: FreeText = ""


class ApplicationSubmitted(BaseModel):
    """`application.submitted` on `intake.applications`, keyed by `submission_id`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    submission_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Unique per publishing system (the envelope's `source`); resending it is safe.",
    )
    program_code: Code
    cohort_code: Code
    startup: StartupProfile
    contact: Contact
    answers: dict[AnswerKey, FreeText] = Field(default_factory=dict, max_length=50)
    consent_personal_info: StrictBool = Field(
        description="Consent to the collection and use of personal information; must be true."
    )


class Refusal(BaseModel):
    """One machine-readable reason, with a message in the applicant's language."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str = Field(max_length=64)
    message: str = Field(max_length=500)


class IntakeReceipt(BaseModel):
    """`intake.receipt` on `intake.receipts`, keyed by `submission_id`: one submission's outcome."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    submission_id: str = Field(max_length=128)
    submitted_by: str = Field(max_length=256, description="The `source` of the submission.")
    outcome: Literal["accepted", "refused"]
    application_id: str | None = None
    reasons: list[Refusal] = Field(default_factory=list)
