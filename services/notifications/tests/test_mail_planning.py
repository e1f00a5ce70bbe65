"""Who gets which e-mail for each event, in which language: the planners and the staff rule."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.mails import (
    APPLICATION_DECIDED_MANAGER,
    APPLICATION_REJECTED_APPLICANT,
    ENROLLMENT_CHANGED_MANAGER,
    ENROLLMENT_CONFIRMED_APPLICANT,
    ENROLLMENT_WAITLISTED_APPLICANT,
    MailRequest,
)
from aihub_notifications.domain.replicas import CohortReplica
from aihub_notifications.domain.staff import (
    EVERY_PROGRAM,
    MANAGER_DEFAULT_KINDS,
    MailKind,
    StaffMember,
    Subscription,
    staff_recipients,
)
from aihub_shared.contracts.applications import ApplicationDecided, ReviewAssigned, ReviewerRef
from aihub_shared.contracts.values import Contact
from services.notifications.tests.support import (
    PROGRAM_EN,
    PROGRAM_KO,
    applicant_replica,
    cohort_replica,
    enrollment,
    founder,
    manager,
)


def confirmed(
    cohort: CohortReplica | None = None, staff: list[Contact] | None = None
) -> list[MailRequest]:
    cohort = cohort or cohort_replica()
    staff = list(cohort.program_managers) if staff is None else staff
    return mails.enrollment_changed(
        "enrollment.confirmed", enrollment(), cohort, applicant_replica(), staff
    )


def test_every_manager_then_the_applicant_each_in_their_language() -> None:
    requests = confirmed()
    assert [(r.template, str(r.recipient.email)) for r in requests] == [
        (ENROLLMENT_CHANGED_MANAGER, "pm1@hub.example.com"),
        (ENROLLMENT_CHANGED_MANAGER, "pm2@hub.example.com"),
        (ENROLLMENT_CONFIRMED_APPLICANT, "founder@startup.example.com"),
    ]
    names = [r.context["program_name"] for r in requests]
    assert names == [PROGRAM_KO, PROGRAM_EN, PROGRAM_EN]  # ko manager, en manager, en founder
    assert [r.context["recipient_name"] for r in requests] == ["매니저 1", "매니저 2", "Jane Park"]
    for request in requests:
        assert request.context["startup_name"] == "Deep Harbor AI"
        assert request.context["cohort_code"] == "cv-2027-1"
        assert request.context["application_id"] == "app-1"
        assert request.context["change"] == "confirmed"
        assert request.program_code == "cyber-valley"


def test_a_manager_listed_twice_is_written_once() -> None:
    cohort = cohort_replica(
        managers=(manager(1, email="pm@hub.example.com"), manager(2, email="PM@Hub.Example.com"))
    )
    requests = confirmed(cohort)
    assert [r.template for r in requests].count(ENROLLMENT_CHANGED_MANAGER) == 1


def test_a_cohort_without_managers_still_tells_the_applicant() -> None:
    cohort = dataclasses.replace(cohort_replica(), program_managers=())
    assert [r.template for r in confirmed(cohort)] == [ENROLLMENT_CONFIRMED_APPLICANT]


def test_the_waitlist_position_reaches_the_applicant() -> None:
    waitlisted = enrollment().model_copy(update={"status": "waitlisted", "waitlist_position": 3})
    requests = mails.enrollment_changed(
        "enrollment.waitlisted", waitlisted, cohort_replica(), applicant_replica(), []
    )
    assert [r.template for r in requests] == [ENROLLMENT_WAITLISTED_APPLICANT]
    assert requests[0].context["waitlist_position"] == 3


def test_agreement_signed_tells_only_the_managers() -> None:
    requests = mails.enrollment_changed(
        "enrollment.agreement_signed",
        enrollment(),
        cohort_replica(),
        applicant_replica(),
        [manager(1)],
    )
    assert [r.template for r in requests] == [ENROLLMENT_CHANGED_MANAGER]


def decision() -> ApplicationDecided:
    return ApplicationDecided(
        application_id="app-1",
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name="Deep Harbor AI",
        business_registration_number="2208162517",
        decided_by="Kim",
        reason="r",
        rank=4,
    )


def test_an_acceptance_is_left_to_the_enrollment_mail_a_rejection_is_mailed() -> None:
    accepted = mails.application_decided(
        "accepted", decision(), cohort_replica(), applicant_replica(), [manager(1)]
    )
    assert [r.template for r in accepted] == [APPLICATION_DECIDED_MANAGER]
    rejected = mails.application_decided(
        "rejected", decision(), cohort_replica(), applicant_replica(), [manager(1)]
    )
    assert [r.template for r in rejected] == [
        APPLICATION_REJECTED_APPLICANT,
        APPLICATION_DECIDED_MANAGER,
    ]


# ---------------------------------------------------------------------------------------------
# Staff recipients: the catalog's managers by default, the directory decides for those it knows.


def member(email: str, *subs: Subscription, active: bool = True, locale: str = "en") -> StaffMember:
    return StaffMember(email, "Someone", locale, "program_manager", active, tuple(subs))  # type: ignore[arg-type]


def test_catalog_managers_get_the_defaults_until_the_directory_knows_them() -> None:
    found = staff_recipients(
        MailKind.NEW_APPLICATION, "cyber-valley", cohort_managers=[manager(1)], directory=[]
    )
    assert [str(c.email) for c in found] == ["pm1@hub.example.com"]
    assert (
        staff_recipients(
            MailKind.DEAD_LETTERS, "cyber-valley", cohort_managers=[manager(1)], directory=[]
        )
        == []
    )


def test_the_directory_lets_a_manager_opt_out_and_others_opt_in() -> None:
    directory = [
        member("pm1@hub.example.com", Subscription(MailKind.DECISION, "cyber-valley")),
        member("ops@hub.example.com", Subscription(MailKind.NEW_APPLICATION, EVERY_PROGRAM)),
        member("other@hub.example.com", Subscription(MailKind.NEW_APPLICATION, "membership")),
        member(
            "gone@hub.example.com",
            Subscription(MailKind.NEW_APPLICATION, EVERY_PROGRAM),
            active=False,
        ),
    ]
    found = staff_recipients(
        MailKind.NEW_APPLICATION,
        "cyber-valley",
        cohort_managers=[manager(1, email="PM1@hub.example.com")],
        directory=directory,
    )
    assert [str(c.email) for c in found] == ["ops@hub.example.com"]  # pm1 opted out
    decisions = staff_recipients(
        MailKind.DECISION, "cyber-valley", cohort_managers=[manager(1)], directory=directory
    )
    assert [(str(c.email), c.locale) for c in decisions] == [("pm1@hub.example.com", "en")]


def test_the_founder_fixture_reads_english() -> None:
    assert founder().locale == "en"


ADDRESSES = st.sampled_from(["a@hub.example", "B@hub.example", "b@hub.example", "c@hub.example"])
KINDS = st.sampled_from(list(MailKind))
PROGRAMS = st.sampled_from(["cyber-valley", "membership", EVERY_PROGRAM])


@given(
    managers=st.lists(ADDRESSES, max_size=4),
    members=st.lists(
        st.tuples(ADDRESSES, st.booleans(), st.lists(st.tuples(KINDS, PROGRAMS), max_size=3)),
        max_size=4,
    ),
    kind=KINDS,
)
def test_recipients_are_unique_and_the_directory_has_the_last_word(
    managers: list[str], members: list[tuple[str, bool, list[tuple[MailKind, str]]]], kind: MailKind
) -> None:
    directory = {
        address.lower(): member(
            address.lower(), *(Subscription(k, p) for k, p in subs), active=active
        )
        for address, active, subs in members
    }
    found = staff_recipients(
        kind,
        "cyber-valley",
        cohort_managers=[manager(n, email=a) for n, a in enumerate(managers)],
        directory=directory.values(),
    )
    keys = [str(c.email).lower() for c in found]
    assert len(keys) == len(set(keys))
    for key in {a.lower() for a in managers} | set(directory):
        known = directory.get(key)
        if known is not None:
            expected = known.wants(kind, "cyber-valley")
        else:
            expected = kind in MANAGER_DEFAULT_KINDS
        assert (key in keys) == expected, key


def test_a_blind_stages_reviewer_is_mailed_the_label_never_the_startup() -> None:
    assigned = ReviewAssigned(
        application_id="0b8f5a52-3c1e-4e0b-9a57-6f1d2a7c9e01",
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name="Zephyrine Robotics",
        stage_code="document-review",
        reviewer=ReviewerRef(id="reviewer@hub.example", name="심사위원"),
        anonymous_label="지원서 3F9A1C",
    )
    reviewer = manager(email="reviewer@hub.example")
    (blind,) = mails.review_assigned(assigned, cohort_replica(), reviewer)
    rendered = MailRenderer().render(blind.template, blind.recipient.locale, blind.context)
    assert "지원서 3F9A1C" in rendered.text
    assert "Zephyrine" not in rendered.text + rendered.html + rendered.subject
    open_stage = assigned.model_copy(update={"anonymous_label": None})
    (seen,) = mails.review_assigned(open_stage, cohort_replica(), reviewer)
    assert seen.context["startup_name"] == "Zephyrine Robotics"


def test_a_startup_that_gave_up_its_agreement_is_told_so_in_its_language() -> None:
    """협약 포기: the cancellation mail says the startup's own decision was recorded and that the
    seat goes to the reserve, never "cancelled" with programs' English rule text as the reason;
    any other cancellation keeps its reason."""
    renderer = MailRenderer()
    gave_up = enrollment().model_copy(
        update={
            "status": "cancelled",
            "reason": "agreement given up: moved abroad",
            "cause": "agreement_given_up",
        }
    )
    for locale, said in (("en", "gave up its agreement"), ("ko", "협약 포기가 접수되어")):
        applicant = applicant_replica()
        applicant = dataclasses.replace(
            applicant, contact=founder(locale=locale, email="founder@startup.example.com")
        )
        [*_, request] = mails.enrollment_changed(
            "enrollment.cancelled", gave_up, cohort_replica(), applicant, []
        )
        assert request.template == mails.ENROLLMENT_CANCELLED_APPLICANT
        mail = renderer.render(request.template, request.recipient.locale, request.context)
        for part in (mail.text, mail.html):
            assert said in part
            assert "agreement given up:" not in part
    staff_cancelled = gave_up.model_copy(update={"reason": "did not move in", "cause": None})
    [request] = mails.enrollment_changed(
        "enrollment.cancelled", staff_cancelled, cohort_replica(), applicant_replica(), []
    )
    mail = renderer.render(request.template, "en", request.context)
    assert "Reason: did not move in" in mail.text
    assert "gave up" not in mail.text
