"""Which event types exist, which model validates their data and which topic carries them."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import (
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
)
from aihub_shared.contracts.envelope import TYPE_PREFIX
from aihub_shared.contracts.intake import ApplicationSubmitted, IntakeReceipt
from aihub_shared.contracts.notifications import EmailDelivered
from aihub_shared.contracts.programs import CohortPublished, EnrollmentChanged


@dataclass(frozen=True)
class EventContract:
    name: str  # e.g. "application.received"
    version: int
    topic: str
    data_model: type[BaseModel]
    summary: str

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}{self.name}.v{self.version}"


EVENT_CONTRACTS: list[EventContract] = [
    EventContract(
        "application.submitted",
        1,
        topics.INTAKE_APPLICATIONS,
        ApplicationSubmitted,
        "A publishing system submits a startup's application to a cohort.",
    ),
    EventContract(
        "intake.receipt",
        1,
        topics.INTAKE_RECEIPTS,
        IntakeReceipt,
        "The outcome of one submission: accepted with the application id, or refused with reasons.",
    ),
    EventContract(
        "application.received",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationReceived,
        "An eligible application was stored and enters review.",
    ),
    EventContract(
        "application.ineligible",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationIneligible,
        "An application failed the eligibility rules; the reasons say why.",
    ),
    EventContract(
        "application.accepted",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationDecided,
        "Staff selected the startup for the cohort.",
    ),
    EventContract(
        "application.rejected",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationDecided,
        "Staff declined the application.",
    ),
    EventContract(
        "cohort.published",
        1,
        topics.PROGRAMS_CATALOG,
        CohortPublished,
        "A cohort was created or changed; carries its whole current state.",
    ),
    EventContract(
        "enrollment.confirmed",
        1,
        topics.PROGRAMS_ENROLLMENTS,
        EnrollmentChanged,
        "The startup has a seat in the cohort.",
    ),
    EventContract(
        "enrollment.waitlisted",
        1,
        topics.PROGRAMS_ENROLLMENTS,
        EnrollmentChanged,
        "No seat was free; the startup waits at the given position.",
    ),
    EventContract(
        "email.sent",
        1,
        topics.NOTIFICATIONS_DELIVERIES,
        EmailDelivered,
        "An e-mail was handed to the mail server.",
    ),
]

_BY_TYPE = {c.type: c for c in EVENT_CONTRACTS}
_BY_NAME = {c.name: c for c in EVENT_CONTRACTS}


def contract_for_type(event_type: str) -> EventContract | None:
    return _BY_TYPE.get(event_type)


def contract(name: str) -> EventContract:
    """The contract by its short name; a typo is a programming error, so KeyError is right."""
    return _BY_NAME[name]
