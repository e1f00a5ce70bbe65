"""The public door: what publishing systems send on `intake.*` and the receipts they read back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, HttpUrl

from aihub_shared.contracts.privacy import ConsentRecord
from aihub_shared.contracts.values import (
    AnswerKey,
    CalendarDate,
    Code,
    Contact,
    ExternalId,
    FreeText,
    JsonBoolean,
    SingleLineText,
    StatedReason,
    SubmittedBusinessRegistrationNumber,
    WholeNumber,
)


class StartupProfile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: SingleLineText
    business_registration_number: SubmittedBusinessRegistrationNumber
    founded_on: CalendarDate
    employees: WholeNumber = Field(ge=0, le=100_000)
    website: HttpUrl | None = Field(
        default=None, json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$"}
    )
    ai_field: SingleLineText
    description: FreeText = ""


def _keys_as_property_names(schema: dict[str, Any]) -> None:
    # Pydantic turns a key `pattern` into `patternProperties`, which leaves any other key
    # unchecked; the consumer refuses such keys, so the schema must: `propertyNames`.
    for key_pattern, value_schema in schema.pop("patternProperties", {}).items():
        schema.setdefault("propertyNames", {})["pattern"] = key_pattern
        schema["additionalProperties"] = value_schema


class ApplicationSubmitted(BaseModel):
    """`application.submitted` on `intake.applications`, keyed by `submission_id`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    submission_id: ExternalId = Field(
        description="Unique per publishing system (the envelope's `source`); resending it is safe."
        " It is the Kafka key, which is never erased: no personal data in it (not the"
        " registration number).",
    )
    program_code: Code
    cohort_code: Code
    startup: StartupProfile
    contact: Contact
    answers: dict[AnswerKey, FreeText] = Field(
        default_factory=dict, max_length=50, json_schema_extra=_keys_as_property_names
    )
    consent_personal_info: JsonBoolean = Field(
        description="Consent to the collection and use of personal information; must be true."
    )
    consent: ConsentRecord | None = Field(
        default=None,
        description="Which consent text (id, version, language) was agreed to and when; required"
        " when the cohort names a consent text (`cohort.published`'s `consent_text`), which it"
        " must match.",
    )


class Refusal(BaseModel):
    """One machine-readable reason, with a message in the applicant's language."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str = Field(
        max_length=64,
        description="Stable and machine-readable: an eligibility rule (`window_closed`, ...) or,"
        " for a message that breaks the contract, the rule the field broke (`missing`,"
        " `string_too_long`, `control_character`, `invalid_date`, ...; see docs/README.md).",
    )
    message: str = Field(
        max_length=500,
        description="For people, in the applicant's language; Korean and English"
        " (`한국어 / English`) when the message does not say which.",
    )
    path: str | None = Field(
        default=None,
        max_length=300,
        description="For a contract violation, where: a JSON path into the message as sent,"
        " e.g. `$.data.startup.employees`.",
    )


class IntakeReceipt(BaseModel):
    """`intake.receipt` on `intake.receipts`, keyed by `submission_id`: one submission's outcome."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    submission_id: str = Field(max_length=128)
    submitted_by: str = Field(max_length=256, description="The `source` of the submission.")
    outcome: Literal["accepted", "refused"]
    application_id: str | None = None
    reasons: list[Refusal] = Field(default_factory=list)


class SelectionRequest(BaseModel):
    """What both selection requests on `intake.selection-requests` share, keyed by
    `request_id`. A publishing system may only ask about applications it submitted."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: ExternalId = Field(
        description="Unique per publishing system (the envelope's `source`); resending it is safe"
        " and earns the same receipt."
    )
    application_id: str = Field(
        max_length=64, description="As the submission's receipt (`intake.receipt`) named it."
    )
    reason: StatedReason = Field(description="The applicant's reason, in their words.")


class AppealRequested(SelectionRequest):
    """`appeal.requested`: the applicant appeals (이의제기) their application's latest rejection,
    within the stage's `appeal_window_days` (judged at the record's arrival)."""

    disclose: JsonBoolean = Field(
        default=False,
        description="Ask to be told the stage's figures the cohort discloses"
        " (`appeal_disclosure`).",
    )


class ChallengeRequested(SelectionRequest):
    """`challenge.requested`: the applicant challenges (기피 신청) a reviewer of their
    application's current stage; the reviewer's scores stop counting until a manager decides."""

    stage_code: Code
    reviewer_id: Annotated[EmailStr, AfterValidator(str.lower)] = Field(
        max_length=254, description="The challenged reviewer's e-mail, as the applicant was told."
    )


class SelectionRequestReceipt(BaseModel):
    """`selection_request.receipt` on `intake.receipts`, keyed by `request_id`: one appeal's or
    challenge's outcome: accepted with the appeal's or challenge's id, or refused with reasons."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: str = Field(max_length=128)
    submitted_by: str = Field(max_length=256, description="The `source` of the request.")
    kind: Literal["appeal", "challenge"] | None = Field(
        default=None, description="Null when the message broke the contract."
    )
    outcome: Literal["accepted", "refused"]
    appeal_id: str | None = None
    challenge_id: str | None = None
    reasons: list[Refusal] = Field(default_factory=list)
