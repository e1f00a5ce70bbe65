"""Personal data under PIPA and GDPR: consent on record, erasure requests and their confirmations.

Consent travels inside `application.submitted`; a cohort names the consent text it requires in
`cohort.published`. Erasure is requested on `intake.erasure-requests` (or over HTTP by an admin),
each service confirms with `person.erased` on `privacy.erasures`, and the requester reads one
`erasure.receipt` on `intake.receipts` once all three have confirmed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aihub_shared.contracts.values import (
    Code,
    EmailAddress,
    ExternalId,
    JsonBoolean,
    Locale,
    Rfc3339DateTime,
    WholeNumber,
)

#: Uses beyond selection an applicant may agree to, each on its own (never bundled, PIPA art. 22).
OptionalPurpose = Literal["marketing_mail", "partner_sharing"]

#: The services that hold personal data and confirm an erasure.
ErasingService = Literal["applications", "programs", "notifications"]
ERASING_SERVICES: tuple[ErasingService, ...] = ("applications", "programs", "notifications")

ApplicationId = Annotated[
    str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
SHA256_HEX = r"^[0-9a-f]{64}$"


class ConsentTextRef(BaseModel):
    """A consent text the hub publishes (its wording lives with the portal), by id and version."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Code
    version: WholeNumber = Field(ge=1, le=10_000)


class RetentionPeriods(BaseModel):
    """How long after a cohort ends its applicants' data is kept, then anonymised as an erasure
    would: longer for the selected (their enrollment and agreement), shorter for the others."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    selected_days: int = Field(default=3 * 365, ge=1, le=36_500)
    not_selected_days: int = Field(default=365, ge=1, le=36_500)


class ConsentRecord(BaseModel):
    """Which consent text the applicant agreed to, in which language and when."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    text_id: Code = Field(description="The consent text's id, as the cohort names it.")
    text_version: WholeNumber = Field(ge=1, le=10_000)
    locale: Locale = Field(description="The language of the text the applicant read.")
    agreed_at: Rfc3339DateTime
    optional: dict[OptionalPurpose, JsonBoolean] = Field(
        default_factory=dict,
        description="Consents to optional uses, each answered on its own; a purpose not named"
        " was not agreed to.",
    )

    @property
    def text(self) -> ConsentTextRef:
        return ConsentTextRef(id=self.text_id, version=self.text_version)


class NamesAPerson(BaseModel):
    """A person, by e-mail address and/or application ids: every application of that address
    counts, whatever system submitted it."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        # What `_names_someone` checks, said so that a publisher's validator checks it too.
        json_schema_extra={
            "anyOf": [
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
                {
                    "required": ["application_ids"],
                    "properties": {"application_ids": {"minItems": 1}},
                },
            ]
        },
    )

    email: EmailAddress | None = None
    application_ids: list[ApplicationId] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _names_someone(self) -> NamesAPerson:
        if self.email is None and not self.application_ids:
            raise ValueError("name the person by email or application_ids")
        return self


class PersonErasureRequested(NamesAPerson):
    """`person.erasure_requested` on `intake.erasure-requests`, keyed by `request_id`."""

    request_id: ExternalId = Field(
        description="Unique per requesting system (the envelope's `source`); resending is safe."
        " It is the Kafka key, which is never erased: no personal data in it."
    )


class PersonRef(NamesAPerson):
    """Whom an access request (an export of what the platform holds) is about."""

    model_config = ConfigDict(extra="forbid")


class PersonErased(BaseModel):
    """`person.erased` on `privacy.erasures`, keyed by `request_id`: one service's confirmation.

    No personal data: the address is named by its SHA-256 (lower-cased), which lets the other
    services find their copies without the address travelling again.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: str = Field(max_length=128)
    requested_by: str = Field(max_length=256, description="The `source` of the request.")
    service: ErasingService
    application_ids: list[str] = Field(default_factory=list, max_length=1000)
    email_sha256: str | None = Field(default=None, pattern=SHA256_HEX)
    erased: dict[str, int] = Field(
        default_factory=dict, description="Rows anonymised or deleted, by kind."
    )
    held: list[str] = Field(
        default_factory=list,
        description="What a legal hold keeps, by kind (without personal data).",
    )


class ErasureReceipt(BaseModel):
    """`erasure.receipt` on `intake.receipts`, keyed by `request_id`: all services confirmed."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: str = Field(max_length=128)
    submitted_by: str = Field(max_length=256)
    outcome: Literal["erased"]
    services: list[ErasingService]
    applications: int = Field(ge=0, description="How many applications were erased.")
    completed_at: Rfc3339DateTime


class PersonalDataHeld(BaseModel):
    """One service's answer to an access request: every row it holds about the person."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    service: ErasingService
    application_ids: list[str] = Field(description="The person's applications this service knows.")
    records: dict[str, list[dict[str, Any]]] = Field(
        description="Rows by kind (table), as stored; timestamps in UTC."
    )
