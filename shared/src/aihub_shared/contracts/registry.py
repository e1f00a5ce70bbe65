"""Which event types exist, which model validates their data and which topic carries them."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from aihub_shared.contracts import topics
from aihub_shared.contracts.applications import (
    ApplicationAdvanced,
    ApplicationAppeal,
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
    ApplicationWithdrawn,
    BonusPointsChanged,
    ReviewAssigned,
    ReviewChallenge,
    ReviewConflictDeclared,
    ReviewPledged,
    ReviewSubmitted,
)
from aihub_shared.contracts.envelope import TYPE_PREFIX, CloudEvent
from aihub_shared.contracts.intake import (
    AppealRequested,
    ApplicationSubmitted,
    ChallengeRequested,
    IntakeReceipt,
    SelectionRequestReceipt,
)
from aihub_shared.contracts.notifications import EmailDelivered, EmailFailed, ReminderSent
from aihub_shared.contracts.privacy import ErasureReceipt, PersonErased, PersonErasureRequested
from aihub_shared.contracts.programs import (
    CohortFilled,
    CohortPublished,
    EnrollmentChanged,
    KpiReceipt,
    StartupKpiReported,
)


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
        "application.withdrawn",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationWithdrawn,
        "The applicant withdrew, at any stage; a seat it held is freed.",
    ),
    EventContract(
        "application.advanced",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationAdvanced,
        "The application passed a review stage and enters the next one.",
    ),
    EventContract(
        "review.assigned",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ReviewAssigned,
        "A reviewer was assigned an application to score in a stage.",
    ),
    EventContract(
        "review.submitted",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ReviewSubmitted,
        "A reviewer completed their scores for an application's stage (once; no scores in it).",
    ),
    EventContract(
        "review.conflict_declared",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ReviewConflictDeclared,
        "A reviewer stepped aside for a conflict of interest; a replacement follows if any.",
    ),
    EventContract(
        "review.pledged",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ReviewPledged,
        "A reviewer accepted the reviewer pledge for a cohort's stage (before their first score).",
    ),
    EventContract(
        "review.challenged",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ReviewChallenge,
        "A reviewer was challenged (기피 신청); their scores do not count while it is open.",
    ),
    EventContract(
        "review.challenge_decided",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ReviewChallenge,
        "A manager upheld (the reviewer is replaced) or dismissed a challenge, with a reason.",
    ),
    EventContract(
        "bonus_points.granted",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        BonusPointsChanged,
        "A manager granted an application one of its cohort's bonus items (가점), with a reason.",
    ),
    EventContract(
        "bonus_points.revoked",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        BonusPointsChanged,
        "A manager took back a bonus item granted to an application, with a reason.",
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
        "enrollment.promoted",
        1,
        topics.PROGRAMS_ENROLLMENTS,
        EnrollmentChanged,
        "A seat was freed or added; the best-ranked waitlisted startup now holds it.",
    ),
    EventContract(
        "enrollment.agreement_signed",
        1,
        topics.PROGRAMS_ENROLLMENTS,
        EnrollmentChanged,
        "The enrolled startup signed its agreement; the seat is no longer at risk.",
    ),
    EventContract(
        "enrollment.cancelled",
        1,
        topics.PROGRAMS_ENROLLMENTS,
        EnrollmentChanged,
        "The enrollment ended (withdrawn, cancelled by staff, or agreement deadline passed).",
    ),
    EventContract(
        "cohort.filled",
        1,
        topics.PROGRAMS_ENROLLMENTS,
        CohortFilled,
        "The last seat of the cohort was taken.",
    ),
    EventContract(
        "startup.kpi_reported",
        1,
        topics.INTAKE_KPI_REPORTS,
        StartupKpiReported,
        "A publishing system reports an enrolled startup's figures for a quarter.",
    ),
    EventContract(
        "kpi.receipt",
        1,
        topics.INTAKE_RECEIPTS,
        KpiReceipt,
        "The outcome of one KPI report: accepted, or refused with reasons.",
    ),
    EventContract(
        "email.sent",
        1,
        topics.NOTIFICATIONS_DELIVERIES,
        EmailDelivered,
        "An e-mail was handed to the mail server.",
    ),
    EventContract(
        "email.failed",
        1,
        topics.NOTIFICATIONS_DELIVERIES,
        EmailFailed,
        "The mail server refused an e-mail for good (5xx, invalid address); not retried.",
    ),
    EventContract(
        "reminder.sent",
        1,
        topics.NOTIFICATIONS_DELIVERIES,
        ReminderSent,
        "A reviewer was reminded of an unscored assignment before its due time (once per offset).",
    ),
    EventContract(
        "person.erasure_requested",
        1,
        topics.INTAKE_ERASURE_REQUESTS,
        PersonErasureRequested,
        "A publishing system asks that everything held about a person be erased.",
    ),
    EventContract(
        "person.erased",
        1,
        topics.PRIVACY_ERASURES,
        PersonErased,
        "One service anonymised what it held about a person (counts, no personal data).",
    ),
    EventContract(
        "erasure.receipt",
        1,
        topics.INTAKE_RECEIPTS,
        ErasureReceipt,
        "Every service confirmed an erasure request; sent once per request.",
    ),
    EventContract(
        "appeal.requested",
        1,
        topics.INTAKE_SELECTION_REQUESTS,
        AppealRequested,
        "A publishing system appeals (이의제기) an application's rejection for the applicant.",
    ),
    EventContract(
        "challenge.requested",
        1,
        topics.INTAKE_SELECTION_REQUESTS,
        ChallengeRequested,
        "A publishing system challenges (기피 신청) an application's reviewer for the applicant.",
    ),
    EventContract(
        "selection_request.receipt",
        1,
        topics.INTAKE_RECEIPTS,
        SelectionRequestReceipt,
        "The outcome of one appeal or challenge request: accepted with its id, or refused.",
    ),
    EventContract(
        "appeal.filed",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationAppeal,
        "An applicant appealed (이의제기) their application's rejection in a stage.",
    ),
    EventContract(
        "appeal.decided",
        1,
        topics.APPLICATIONS_LIFECYCLE,
        ApplicationAppeal,
        "A manager upheld (the application is in review again) or dismissed an appeal.",
    ),
]

_BY_TYPE = {c.type: c for c in EVENT_CONTRACTS}
_BY_NAME = {c.name: c for c in EVENT_CONTRACTS}


def contract_for_type(event_type: str) -> EventContract | None:
    return _BY_TYPE.get(event_type)


def contract(name: str) -> EventContract:
    """The contract by its short name; a typo is a programming error, so KeyError is right."""
    return _BY_NAME[name]


@dataclass(frozen=True)
class ServiceEvents:
    """How one service stamps the events it publishes: its `source`, and each contract's type."""

    source: str  # e.g. "/services/programs"

    def new(
        self,
        name: str,
        *,
        subject: str,
        data: BaseModel,
        caused_by: CloudEvent | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> CloudEvent:
        """A fresh event of contract `name`; `subject` is its Kafka key."""
        return CloudEvent.new(
            type=contract(name).type,
            source=self.source,
            subject=subject,
            data=data,
            caused_by=caused_by,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
