"""Who gets which e-mail for an event, and what the template is told. Pure: the caller loads the
replicas and renders; nothing here touches a database, a template file or SMTP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aihub_notifications.domain.deliveries import recipient_key
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.programs import EnrollmentChanged
from aihub_shared.contracts.values import Contact

ENROLLMENT_CONFIRMED_MANAGER = "enrollment_confirmed_manager"
ENROLLMENT_CONFIRMED_APPLICANT = "enrollment_confirmed_applicant"


@dataclass(frozen=True)
class MailRequest:
    """One e-mail to write: the template, to whom (and so in which language), with what."""

    template: str
    recipient: Contact
    context: Mapping[str, Any] = field(default_factory=dict)


def enrollment_confirmed(
    enrollment: EnrollmentChanged, cohort: CohortReplica, applicant: ApplicantReplica
) -> list[MailRequest]:
    """Every program manager of the cohort, then the applicant's contact, each in their locale.

    A manager listed twice (same address in any letter case) is written to once.
    """
    common: dict[str, Any] = {
        # The enrollment event is the newest word on the startup's name.
        "startup_name": enrollment.startup_name,
        "application_id": enrollment.application_id,
        "program_code": cohort.program_code,
        "cohort_code": cohort.cohort_code,
        "partner": cohort.partner,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
        "seats": enrollment.seats,
        "seats_taken": enrollment.seats_taken,
    }

    def request(template: str, recipient: Contact) -> MailRequest:
        return MailRequest(
            template=template,
            recipient=recipient,
            context={
                **common,
                "recipient_name": recipient.name,
                "program_name": cohort.program_name(recipient.locale),
            },
        )

    managers = [request(ENROLLMENT_CONFIRMED_MANAGER, m) for m in _unique(cohort.program_managers)]
    return [*managers, request(ENROLLMENT_CONFIRMED_APPLICANT, applicant.contact)]


def _unique(contacts: Sequence[Contact]) -> list[Contact]:
    seen: set[str] = set()
    unique = []
    for contact in contacts:
        key = recipient_key(str(contact.email))
        if key not in seen:
            seen.add(key)
            unique.append(contact)
    return unique
