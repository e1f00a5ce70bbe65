"""Who gets which e-mail for `enrollment.confirmed`, in which language."""

from __future__ import annotations

import dataclasses

from aihub_notifications.domain.mails import (
    ENROLLMENT_CONFIRMED_APPLICANT,
    ENROLLMENT_CONFIRMED_MANAGER,
    enrollment_confirmed,
)
from services.notifications.tests.conftest import (
    PROGRAM_EN,
    PROGRAM_KO,
    applicant_replica,
    cohort_replica,
    enrollment,
    founder,
    manager,
)


def test_every_manager_then_the_applicant_each_in_their_language() -> None:
    requests = enrollment_confirmed(enrollment(), cohort_replica(), applicant_replica())
    assert [(r.template, str(r.recipient.email)) for r in requests] == [
        (ENROLLMENT_CONFIRMED_MANAGER, "pm1@hub.example.com"),
        (ENROLLMENT_CONFIRMED_MANAGER, "pm2@hub.example.com"),
        (ENROLLMENT_CONFIRMED_APPLICANT, "founder@startup.example.com"),
    ]
    names = [r.context["program_name"] for r in requests]
    assert names == [PROGRAM_KO, PROGRAM_EN, PROGRAM_EN]  # ko manager, en manager, en founder
    assert [r.context["recipient_name"] for r in requests] == ["매니저 1", "매니저 2", "Jane Park"]
    for request in requests:
        assert request.context["startup_name"] == "Deep Harbor AI"
        assert request.context["cohort_code"] == "cv-2027-1"
        assert request.context["application_id"] == "app-1"


def test_a_manager_listed_twice_is_written_once() -> None:
    cohort = cohort_replica(
        managers=(manager(1, email="pm@hub.example.com"), manager(2, email="PM@Hub.Example.com"))
    )
    requests = enrollment_confirmed(enrollment(), cohort, applicant_replica())
    assert [r.template for r in requests].count(ENROLLMENT_CONFIRMED_MANAGER) == 1


def test_a_cohort_without_managers_still_tells_the_applicant() -> None:
    cohort = dataclasses.replace(cohort_replica(), program_managers=())
    requests = enrollment_confirmed(enrollment(), cohort, applicant_replica())
    assert [r.template for r in requests] == [ENROLLMENT_CONFIRMED_APPLICANT]


def test_the_enrollment_event_names_the_startup() -> None:
    requests = enrollment_confirmed(
        enrollment(startup="Deep Harbor AI Inc."), cohort_replica(), applicant_replica()
    )
    assert {r.context["startup_name"] for r in requests} == {"Deep Harbor AI Inc."}
    assert founder().locale == "en"
