"""Sample data for every template, made by running the real planners on sample events: what the
HTTP preview shows and what the golden-file tests render. A planner that stops giving a template
a value it uses fails here (the renderer's undefined values are errors)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from aihub_notifications.domain import mails
from aihub_notifications.domain.alerts import DeadLetterSeen, alert_mails
from aihub_notifications.domain.digest import CohortFigures, compose_digest
from aihub_notifications.domain.mails import MailRequest
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.applications import (
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
    ApplicationWithdrawn,
    ReviewAssigned,
    ReviewerRef,
)
from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.programs import CohortFilled, EnrollmentChanged
from aihub_shared.contracts.values import Contact, Locale

STARTUP = "Deep Harbor AI"
APPLICATION = "5f0c2a9e-6d1b-4c55-9a43-0d6b7f1e2a10"
COHORT = "cyber-valley-2027-1"
PROGRAM = "cyber-valley"


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
    return CohortReplica(
        cohort_code=COHORT,
        program_code=PROGRAM,
        program_name_ko="사이버밸리 글로벌 배치 프로그램",
        program_name_en="Cyber Valley Global Batch Program",
        partner="Cyber Valley",
        starts_on=date(2027, 3, 2),
        ends_on=date(2027, 8, 31),
        program_managers=(),
        seats=3,
        seats_taken=2,
    )


def _applicant(contact: Contact) -> ApplicantReplica:
    return ApplicantReplica(APPLICATION, PROGRAM, COHORT, STARTUP, contact)


def _enrollment(status: str, **extra: object) -> EnrollmentChanged:
    return EnrollmentChanged.model_validate(
        {
            "enrollment_id": "enr-7",
            "application_id": APPLICATION,
            "program_code": PROGRAM,
            "cohort_code": COHORT,
            "startup_name": STARTUP,
            "status": status,
            "rank": 2,
            "seats": 3,
            "seats_taken": 3,
            **extra,
        }
    )


def _decided() -> ApplicationDecided:
    return ApplicationDecided(
        application_id=APPLICATION,
        program_code=PROGRAM,
        cohort_code=COHORT,
        startup_name=STARTUP,
        business_registration_number="2208162517",
        decided_by="이서준",
        reason="발표평가 결과 상위 3개 기업에 들지 못함 / Not among the top three after the pitch.",
        rank=5,
        final_score=71.25,
    )


DUE = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)  # 18:00 in Seoul


def _plan(template: str, applicant: Contact, staff: Contact) -> list[MailRequest]:
    cohort, people = _cohort(), [staff]
    received = ApplicationReceived(
        application_id=APPLICATION,
        submission_id="portal-2027-0042",
        submitted_by="/portals/seoul-ai-hub",
        program_code=PROGRAM,
        cohort_code=COHORT,
        startup_name=STARTUP,
        contact=applicant,
    )
    planners: dict[str, Callable[[], list[MailRequest]]] = {
        "application_received": lambda: mails.application_received(received, cohort, people),
        "application_ineligible": lambda: mails.application_ineligible(
            ApplicationIneligible(
                application_id=APPLICATION,
                submission_id="portal-2027-0042",
                program_code=PROGRAM,
                cohort_code=COHORT,
                startup_name=STARTUP,
                contact=applicant,
                reasons=[
                    Refusal(
                        code="startup-too-old",
                        message="창업 7년 이내 기업만 신청할 수 있습니다."
                        if applicant.locale == "ko"
                        else "Only startups founded within the last 7 years may apply.",
                    )
                ],
            ),
            cohort,
            people,
        ),
        "application_rejected": lambda: mails.application_decided(
            "rejected", _decided(), cohort, _applicant(applicant), people
        ),
        "application_decided": lambda: mails.application_decided(
            "accepted", _decided(), cohort, _applicant(applicant), people
        ),
        "application_withdrawn": lambda: mails.application_withdrawn(
            ApplicationWithdrawn(
                application_id=APPLICATION,
                program_code=PROGRAM,
                cohort_code=COHORT,
                startup_name=STARTUP,
                withdrawn_by=applicant.name,
                reason="해외 법인 설립 일정과 겹침",
            ),
            cohort,
            _applicant(applicant),
            people,
        ),
        "enrollment_confirmed": lambda: mails.enrollment_changed(
            "enrollment.confirmed",
            _enrollment("confirmed", agreement_due_at=DUE),
            cohort,
            _applicant(applicant),
            people,
        ),
        "enrollment_waitlisted": lambda: mails.enrollment_changed(
            "enrollment.waitlisted",
            _enrollment("waitlisted", waitlist_position=2, rank=5),
            cohort,
            _applicant(applicant),
            people,
        ),
        "enrollment_changed": lambda: mails.enrollment_changed(
            "enrollment.waitlisted",
            _enrollment("waitlisted", waitlist_position=2, rank=5),
            cohort,
            _applicant(applicant),
            people,
        ),
        "enrollment_promoted": lambda: mails.enrollment_changed(
            "enrollment.promoted",
            _enrollment("confirmed", agreement_due_at=DUE, rank=4),
            cohort,
            _applicant(applicant),
            people,
        ),
        "enrollment_cancelled": lambda: mails.enrollment_changed(
            "enrollment.cancelled",
            _enrollment("cancelled", reason="협약 서명 기한 경과 / agreement deadline passed"),
            cohort,
            _applicant(applicant),
            people,
        ),
        "cohort_filled": lambda: mails.cohort_filled(
            CohortFilled(
                program_code=PROGRAM, cohort_code=COHORT, seats=3, seats_taken=3, waitlisted=4
            ),
            cohort,
            people,
        ),
        "review_assigned": lambda: mails.review_assigned(
            ReviewAssigned(
                application_id=APPLICATION,
                program_code=PROGRAM,
                cohort_code=COHORT,
                startup_name=STARTUP,
                stage_code="document-review",
                reviewer=ReviewerRef(id=str(staff.email), name=staff.name),
                replaces=ReviewerRef(id="conflicted@seoulaihub.example", name="박도윤"),
                due_at=DUE,
            ),
            cohort,
            staff,
        ),
        "dead_letters": lambda: alert_mails(
            [staff],
            [
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
            + [
                DeadLetterSeen(
                    104,
                    "programs.enrollments.dlq",
                    "programs.enrollments",
                    "unknown event type",
                    "kr.seoul.aihub.enrollment.paused.v1",
                    "notifications.enrollments",
                )
            ],
        ),
        "daily_digest": lambda: [
            request
            for request in [
                compose_digest(
                    staff,
                    [
                        CohortFigures(
                            PROGRAM,
                            cohort.program_name_ko,
                            cohort.program_name_en,
                            COHORT,
                            new_applications=4,
                            pending_reviews=7,
                            seats=3,
                            seats_taken=2,
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
                    ],
                    date(2027, 2, 10),
                )
            ]
            if request is not None
        ],
    }
    for prefix, plan in planners.items():
        if template.startswith(prefix):
            return plan()
    raise KeyError(template)


def sample_request(template: str, locale: Locale) -> MailRequest:
    """The request the planners make for `template` with sample data, for a reader of `locale`."""
    for request in _plan(template, _person(locale, "applicant"), _person(locale, "staff")):
        if request.template == template:
            return request
    raise KeyError(template)
