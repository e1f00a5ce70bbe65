"""Who gets which e-mail for an event, and what the template is told. Pure: the caller loads the
replicas and the staff recipients and renders; nothing here touches a database, a template file
or SMTP.

Applicants hear about every step that concerns them. One deliberate gap: `application.accepted`
is not mailed to the applicant. An acceptance whose rank is beyond the seats is a reserve place
(예비 순위), and only programs knows which: the `enrollment.confirmed` / `enrollment.waitlisted`
that follows says it correctly, with what to do next and by when. Mailing "accepted" first would
tell a reserve they are in. Rejections are mailed on `application.rejected`. Program managers get
both decisions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aihub_notifications.domain.deliveries import recipient_key
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica, ReviewStageName
from aihub_notifications.domain.seoul import SEOUL
from aihub_shared.contracts.applications import (
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
    ApplicationWithdrawn,
    ReviewAssigned,
)
from aihub_shared.contracts.programs import CohortFilled, EnrollmentChanged
from aihub_shared.contracts.values import Contact, Locale

# Applicant templates.
APPLICATION_RECEIVED_APPLICANT = "application_received_applicant"
APPLICATION_INELIGIBLE_APPLICANT = "application_ineligible_applicant"
APPLICATION_REJECTED_APPLICANT = "application_rejected_applicant"
APPLICATION_WITHDRAWN_APPLICANT = "application_withdrawn_applicant"
ENROLLMENT_CONFIRMED_APPLICANT = "enrollment_confirmed_applicant"
ENROLLMENT_WAITLISTED_APPLICANT = "enrollment_waitlisted_applicant"
ENROLLMENT_PROMOTED_APPLICANT = "enrollment_promoted_applicant"
ENROLLMENT_CANCELLED_APPLICANT = "enrollment_cancelled_applicant"
# Staff templates.
APPLICATION_RECEIVED_MANAGER = "application_received_manager"
APPLICATION_INELIGIBLE_MANAGER = "application_ineligible_manager"
APPLICATION_DECIDED_MANAGER = "application_decided_manager"
ENROLLMENT_CHANGED_MANAGER = "enrollment_changed_manager"
COHORT_FILLED_MANAGER = "cohort_filled_manager"
REVIEW_ASSIGNED_REVIEWER = "review_assigned_reviewer"
DEAD_LETTERS_OPS = "dead_letters_ops"
DAILY_DIGEST_MANAGER = "daily_digest_manager"

#: The applicant template of each enrollment event (agreement_signed tells only the managers).
ENROLLMENT_APPLICANT_TEMPLATES = {
    "enrollment.confirmed": ENROLLMENT_CONFIRMED_APPLICANT,
    "enrollment.waitlisted": ENROLLMENT_WAITLISTED_APPLICANT,
    "enrollment.promoted": ENROLLMENT_PROMOTED_APPLICANT,
    "enrollment.cancelled": ENROLLMENT_CANCELLED_APPLICANT,
}


@dataclass(frozen=True)
class MailRequest:
    """One e-mail to write: the template, to whom (and so in which language), with what."""

    template: str
    recipient: Contact
    context: Mapping[str, Any] = field(default_factory=dict)
    program_code: str | None = None


@dataclass(frozen=True)
class ProgramNames:
    """A program's name in each language, and its cohort's review stages; the code stands in
    when the replica lacks the program, and no stage is named when it lacks the stages."""

    code: str
    ko: str
    en: str
    stages: tuple[ReviewStageName, ...] = ()

    @classmethod
    def of(cls, cohort: CohortReplica | None, program_code: str) -> ProgramNames:
        if cohort is None:
            return cls(program_code, program_code, program_code)
        return cls(
            program_code, cohort.program_name_ko, cohort.program_name_en, cohort.review_stages
        )

    def name(self, locale: Locale) -> str:
        return self.en if locale == "en" else self.ko

    def stage_names(self, locale: Locale) -> list[str]:
        return [stage.name(locale) for stage in self.stages]

    def stage_name(self, code: str, locale: Locale) -> str:
        """The stage's name; its code only if the replica does not know the stage (yet)."""
        return next((s.name(locale) for s in self.stages if s.code == code), code)


def seoul_time(moment: datetime | None) -> str | None:
    """`2027-02-15 18:00 KST`: deadlines are the hub's, in Seoul time, whoever reads them."""
    if moment is None:
        return None
    return moment.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M KST")


def address_to(
    template: str,
    recipients: Sequence[Contact],
    program: ProgramNames,
    common: Mapping[str, Any],
) -> list[MailRequest]:
    """One request per recipient (an address listed twice, in any letter case, once), each told
    their own name and the program's name in their language."""
    seen: set[str] = set()
    requests = []
    for recipient in recipients:
        key = recipient_key(str(recipient.email))
        if key in seen:
            continue
        seen.add(key)
        context = {
            **common,
            "recipient_name": recipient.name,
            "program_name": program.name(recipient.locale),
            "stages": program.stage_names(recipient.locale),
        }
        if "stage_code" in common:
            context["stage_name"] = program.stage_name(common["stage_code"], recipient.locale)
        requests.append(MailRequest(template, recipient, context, program.code))
    return requests


def _cohort_values(cohort: CohortReplica | None, cohort_code: str) -> dict[str, Any]:
    return {
        "cohort_code": cohort_code,
        "partner": cohort.partner if cohort else None,
        "starts_on": cohort.starts_on if cohort else None,
        "ends_on": cohort.ends_on if cohort else None,
    }


def application_received(
    data: ApplicationReceived, cohort: CohortReplica | None, staff: Sequence[Contact]
) -> list[MailRequest]:
    program = ProgramNames.of(cohort, data.program_code)
    common = {
        **_cohort_values(cohort, data.cohort_code),
        "startup_name": data.startup_name,
        "application_id": data.application_id,
        "contact_name": data.contact.name,
    }
    return [
        *address_to(APPLICATION_RECEIVED_APPLICANT, [data.contact], program, common),
        *address_to(APPLICATION_RECEIVED_MANAGER, staff, program, common),
    ]


def application_ineligible(
    data: ApplicationIneligible, cohort: CohortReplica | None, staff: Sequence[Contact]
) -> list[MailRequest]:
    program = ProgramNames.of(cohort, data.program_code)
    common = {
        **_cohort_values(cohort, data.cohort_code),
        "startup_name": data.startup_name,
        "application_id": data.application_id,
        "reasons": [{"code": r.code, "message": r.message} for r in data.reasons],
    }
    return [
        *address_to(APPLICATION_INELIGIBLE_APPLICANT, [data.contact], program, common),
        *address_to(APPLICATION_INELIGIBLE_MANAGER, staff, program, common),
    ]


def application_decided(
    outcome: str,
    data: ApplicationDecided,
    cohort: CohortReplica | None,
    applicant: ApplicantReplica | None,
    staff: Sequence[Contact],
) -> list[MailRequest]:
    """`outcome` is `accepted` or `rejected`. The applicant is written to on a rejection only
    (see the module's docstring); staff's decision text stays internal."""
    program = ProgramNames.of(cohort, data.program_code)
    common = {
        **_cohort_values(cohort, data.cohort_code),
        "startup_name": data.startup_name,
        "application_id": data.application_id,
        "outcome": outcome,
        "decided_by": data.decided_by,
        "reason": data.reason,
        "rank": data.rank,
        "final_score": data.final_score,
        "seats": cohort.seats if cohort else None,
    }
    requests = []
    if outcome == "rejected" and applicant is not None:
        requests += address_to(APPLICATION_REJECTED_APPLICANT, [applicant.contact], program, common)
    return requests + address_to(APPLICATION_DECIDED_MANAGER, staff, program, common)


def application_withdrawn(
    data: ApplicationWithdrawn,
    cohort: CohortReplica | None,
    applicant: ApplicantReplica | None,
    staff: Sequence[Contact],
) -> list[MailRequest]:
    program = ProgramNames.of(cohort, data.program_code)
    common = {
        **_cohort_values(cohort, data.cohort_code),
        "startup_name": data.startup_name,
        "application_id": data.application_id,
        "change": "withdrawn",
        "reason": data.reason,
        "waitlist_position": None,
        "agreement_due": None,
        "seats": cohort.seats if cohort else None,
        "seats_taken": cohort.seats_taken if cohort else None,
    }
    requests = []
    if applicant is not None:
        requests += address_to(
            APPLICATION_WITHDRAWN_APPLICANT, [applicant.contact], program, common
        )
    return requests + address_to(ENROLLMENT_CHANGED_MANAGER, staff, program, common)


def enrollment_changed(
    event_name: str,
    enrollment: EnrollmentChanged,
    cohort: CohortReplica,
    applicant: ApplicantReplica,
    staff: Sequence[Contact],
) -> list[MailRequest]:
    """Every enrollment event: the managers, then the applicant (not for agreement_signed)."""
    program = ProgramNames.of(cohort, cohort.program_code)
    common = {
        **_cohort_values(cohort, enrollment.cohort_code),
        # The enrollment event is the newest word on the startup's name.
        "startup_name": enrollment.startup_name,
        "application_id": enrollment.application_id,
        "change": event_name.removeprefix("enrollment."),
        "waitlist_position": enrollment.waitlist_position,
        "rank": enrollment.rank,
        "seats": enrollment.seats,
        "seats_taken": enrollment.seats_taken,
        "agreement_due": seoul_time(enrollment.agreement_due_at),
        "reason": enrollment.reason,
        # 협약 포기: the startup's own decision, told as such, with where its seat went.
        "given_up": enrollment.cause == "agreement_given_up",
    }
    requests = address_to(ENROLLMENT_CHANGED_MANAGER, staff, program, common)
    template = ENROLLMENT_APPLICANT_TEMPLATES.get(event_name)
    if template is not None:
        requests += address_to(template, [applicant.contact], program, common)
    return requests


def cohort_filled(
    data: CohortFilled, cohort: CohortReplica | None, staff: Sequence[Contact]
) -> list[MailRequest]:
    program = ProgramNames.of(cohort, data.program_code)
    common = {
        **_cohort_values(cohort, data.cohort_code),
        "seats": data.seats,
        "seats_taken": data.seats_taken,
        "waitlisted": data.waitlisted,
    }
    return address_to(COHORT_FILLED_MANAGER, staff, program, common)


def review_assigned(
    data: ReviewAssigned, cohort: CohortReplica | None, reviewer: Contact
) -> list[MailRequest]:
    """The reviewer (`reviewer.id` is their address), in the language the directory has for
    them (Korean when it does not know them).

    A replacement after a conflict of interest is told only that the review was reassigned to
    them: never who stepped aside (applications hides it from them too), so `data.replaces`
    stays out of the mail's values altogether."""
    program = ProgramNames.of(cohort, data.program_code)
    common = {
        **_cohort_values(cohort, data.cohort_code),
        # A blind stage's reviewer is told the anonymous label, never the startup's name.
        "startup_name": data.anonymous_label or data.startup_name,
        "application_id": data.application_id,
        "stage_code": data.stage_code,
        "reassigned": data.replaces is not None,
        "due": seoul_time(data.due_at),
    }
    return address_to(REVIEW_ASSIGNED_REVIEWER, [reviewer], program, common)
