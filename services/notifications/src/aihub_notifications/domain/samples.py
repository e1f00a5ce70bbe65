"""Sample data for every template, made by running the real planners on the contracts' example
events (`aihub_shared.contracts.examples`, the ones published in docs/): what the HTTP preview
shows and what the golden-file tests render. A planner that stops giving a template a value it
uses fails here (the renderer's undefined values are errors).

The examples are adapted only where a preview needs more: a reader in each language, a
replaced reviewer (who must appear in no mail), an accepted rank beyond the seats (a reserve
place) and deadlines the tests read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from aihub_notifications.domain import mails
from aihub_notifications.domain.alerts import DeadLetterSeen, alert_mails
from aihub_notifications.domain.appeal_mails import appeal_decided, appeal_filed
from aihub_notifications.domain.digest import CohortFigures, compose_digest
from aihub_notifications.domain.mails import MailRequest, seoul_time
from aihub_notifications.domain.reminders import OpenAssignment, review_reminder
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_notifications.domain.staff_notices import Planned, group_staff_notices
from aihub_shared.contracts.applications import (
    ApplicationAppeal,
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
    ApplicationWithdrawn,
    ReviewAssigned,
    ReviewerRef,
    ReviewSubmitted,
)
from aihub_shared.contracts.examples import EXAMPLE_DATA
from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.programs import CohortFilled, CohortPublished, EnrollmentChanged
from aihub_shared.contracts.values import Contact, Locale

Example = TypeVar("Example", bound=BaseModel)

DUE = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)  # 18:00 in Seoul
STARTUP_TOO_OLD = {
    "ko": "창업 7년 이내 기업만 신청할 수 있습니다.",
    "en": "Only startups founded within the last 7 years may apply.",
}


def _example(name: str, kind: type[Example], **changes: Any) -> Example:
    found = EXAMPLE_DATA[name]
    assert isinstance(found, kind), name
    return found.model_copy(update=changes)


def _person(locale: Locale, role: str) -> Contact:
    names = {
        ("ko", "applicant"): ("김민지", "minji.kim@deepharbor.example"),
        ("en", "applicant"): ("Jane Park", "jane.park@deepharbor.example"),
        ("ko", "staff"): ("이서준", "seojun.lee@seoulaihub.example"),
        ("en", "staff"): ("Anna Weber", "anna.weber@seoulaihub.example"),
    }
    name, email = names[(locale, role)]
    return Contact.model_validate({"name": name, "email": email, "locale": locale})


def _cohort() -> CohortReplica:
    published = _example("cohort.published", CohortPublished, program_managers=[])
    taken = _example("enrollment.confirmed", EnrollmentChanged).seats_taken
    return replace(CohortReplica.of(published), seats_taken=taken)


def _enrollment(name: str, **changes: Any) -> Callable[[Contact, Contact], list[MailRequest]]:
    def plan(applicant: Contact, staff: Contact) -> list[MailRequest]:
        data = _example(name, EnrollmentChanged, **changes)
        return mails.enrollment_changed(name, data, _cohort(), _applicant(applicant), [staff])

    return plan


def _applicant(contact: Contact) -> ApplicantReplica:
    return ApplicantReplica.of(
        _example("application.received", ApplicationReceived, contact=contact)
    )


def _received(applicant: Contact, staff: Contact) -> list[MailRequest]:
    received = _example("application.received", ApplicationReceived, contact=applicant)
    return mails.application_received(received, _cohort(), [staff])


def _ineligible(applicant: Contact, staff: Contact) -> list[MailRequest]:
    reason = Refusal(code="startup_too_old", message=STARTUP_TOO_OLD[applicant.locale])
    ineligible = _example(
        "application.ineligible", ApplicationIneligible, contact=applicant, reasons=[reason]
    )
    return mails.application_ineligible(ineligible, _cohort(), [staff])


def _decided(outcome: str) -> Callable[[Contact, Contact], list[MailRequest]]:
    def plan(applicant: Contact, staff: Contact) -> list[MailRequest]:
        decided = _example(f"application.{outcome}", ApplicationDecided)
        if decided.rank is not None:
            # Ranked as the waitlisted example, beyond the seats: the preview shows the wording
            # of a reserve place, the one a manager must not misread.
            reserve = _example("enrollment.waitlisted", EnrollmentChanged).rank
            decided = decided.model_copy(
                update={"rank": reserve, "reason": f"최종 순위 {reserve}위: 예비 선정"}
            )
        return mails.application_decided(
            outcome, decided, _cohort(), _applicant(applicant), [staff]
        )

    return plan


def _appeal_decided(applicant: Contact, staff: Contact) -> list[MailRequest]:
    decided = _example("appeal.decided", ApplicationAppeal)
    return appeal_decided(decided, _cohort(), _applicant(applicant))


def _appeal_filed(applicant: Contact, staff: Contact) -> list[MailRequest]:
    return appeal_filed(_example("appeal.filed", ApplicationAppeal), _cohort(), [staff])


def _withdrawn(applicant: Contact, staff: Contact) -> list[MailRequest]:
    withdrawn = _example("application.withdrawn", ApplicationWithdrawn)
    return mails.application_withdrawn(withdrawn, _cohort(), _applicant(applicant), [staff])


def _cohort_filled(applicant: Contact, staff: Contact) -> list[MailRequest]:
    return mails.cohort_filled(_example("cohort.filled", CohortFilled), _cohort(), [staff])


def _review_assigned(applicant: Contact, staff: Contact) -> list[MailRequest]:
    assigned = _example(
        "review.assigned",
        ReviewAssigned,
        reviewer=ReviewerRef(id=str(staff.email), name=staff.name),
        # Replaced after declaring a conflict: the replacement's mail must never name them.
        replaces=ReviewerRef(id="conflicted@seoulaihub.example", name="박도윤"),
        due_at=DUE,
    )
    return mails.review_assigned(assigned, _cohort(), staff)


def _review_reminder(applicant: Contact, staff: Contact) -> list[MailRequest]:
    submitted = _example("review.submitted", ReviewSubmitted)
    assignment = OpenAssignment(
        application_id=submitted.application_id,
        stage_code=submitted.stage_code,
        reviewer_email=str(staff.email),
        reviewer_name=staff.name,
        program_code=submitted.program_code,
        cohort_code=submitted.cohort_code,
        due_at=DUE,
        assigned_at=DUE - timedelta(days=7),
        label=submitted.startup_name,
    )
    return review_reminder(assignment, _cohort(), staff, timedelta(hours=24))


def _dead_letters(applicant: Contact, staff: Contact) -> list[MailRequest]:
    intake = [
        DeadLetterSeen(
            n,
            "intake.applications.dlq",
            "intake.applications",
            "data violates the contract",
            "contact.email: value is not a valid email address",
            "applications.intake",
        )
        for n in range(101, 104)
    ]
    unknown = DeadLetterSeen(
        104,
        "programs.enrollments.dlq",
        "programs.enrollments",
        "unknown event type",
        "kr.seoul.aihub.enrollment.paused.v1",
        "notifications.enrollments",
    )
    return alert_mails([staff], [*intake, unknown])


def _daily_digest(applicant: Contact, staff: Contact) -> list[MailRequest]:
    cohort = _cohort()
    figures = [
        CohortFigures(
            cohort.program_code,
            cohort.program_name_ko,
            cohort.program_name_en,
            cohort.cohort_code,
            new_applications=4,
            pending_reviews=7,
            overdue_reviews=2,
            seats=cohort.seats,
            seats_taken=cohort.seats_taken,
        ),
        CohortFigures(
            "ai-membership",
            "AI 멤버십",
            "AI Membership",
            "ai-membership-2027-1",
            new_applications=0,
            pending_reviews=1,
            seats=None,
            seats_taken=0,
        ),
    ]
    request = compose_digest(staff, figures, date(2027, 2, 10))
    return [request] if request is not None else []


#: The other startups of the grouped staff mails' samples (the example's comes first).
OTHER_STARTUPS = (
    ("5d0c7e1a-8f3b-4a6e-b2c9-1e7f4a9d3c02", "오로라 로보틱스", "정하윤", 3),
    ("9a3e6b2f-1c4d-4f8a-a7e5-3b2c8d6f0e03", "Lumen Bio AI", "Mina Cho", 7),
)


def _together(
    plan: Callable[[Contact, Contact], list[MailRequest]],
) -> Callable[[Contact, Contact], list[MailRequest]]:
    """A batch of three events planned one by one, the staff notices then grouped
    (`staff_notices.py`): the sample's event, and the same for two other startups."""

    def grouped(applicant: Contact, staff: Contact) -> list[MailRequest]:
        first = plan(applicant, staff)
        others = [[_another(r, other) for r in first] for other in OTHER_STARTUPS]
        planned = [Planned(f"sample-{n}", r) for n, r in enumerate([first, *others])]
        return [notice.request for notice in group_staff_notices(planned) if notice.grouped]

    return grouped


def _another(request: MailRequest, other: tuple[str, str, str, int]) -> MailRequest:
    """The request as another startup's event would make it (confirmed, ranked within the
    seats where the sample's is a reserve place or waitlisted)."""
    application_id, startup_name, contact_name, rank = other
    context = {**request.context, "application_id": application_id, "startup_name": startup_name}
    if "contact_name" in context:
        context["contact_name"] = contact_name
    if context.get("rank") is not None:
        context["rank"] = rank
    if context.get("change") == "waitlisted":
        context.update(change="confirmed", waitlist_position=None, agreement_due=seoul_time(DUE))
    return replace(request, context=context)


#: Template name prefix → its planner on sample data, for an applicant and a staff member.
PLANNERS: dict[str, Callable[[Contact, Contact], list[MailRequest]]] = {
    "application_received": _received,
    "application_ineligible": _ineligible,
    "application_rejected": _decided("rejected"),
    "application_decided": _decided("accepted"),
    "application_withdrawn": _withdrawn,
    "enrollment_confirmed": _enrollment("enrollment.confirmed", agreement_due_at=DUE),
    "enrollment_waitlisted": _enrollment("enrollment.waitlisted"),
    "enrollment_changed": _enrollment("enrollment.waitlisted"),
    "enrollment_promoted": _enrollment("enrollment.promoted", agreement_due_at=DUE),
    "enrollment_cancelled": _enrollment("enrollment.cancelled"),
    "cohort_filled": _cohort_filled,
    "review_assigned": _review_assigned,
    "review_reminder": _review_reminder,
    "dead_letters": _dead_letters,
    "daily_digest": _daily_digest,
    "appeal_decided": _appeal_decided,
    "applications_received": _together(_received),
    "applications_decided": _together(_decided("accepted")),
    "enrollments_changed": _together(_enrollment("enrollment.waitlisted")),
    "appeal_filed": _appeal_filed,
}


def sample_request(template: str, locale: Locale) -> MailRequest:
    """The request the planners make for `template` with sample data, for a reader of `locale`."""
    plan = next((p for prefix, p in PLANNERS.items() if template.startswith(prefix)), None)
    if plan is None:
        raise KeyError(template)
    for request in plan(_person(locale, "applicant"), _person(locale, "staff")):
        if request.template == template:
            return request
    raise KeyError(template)
