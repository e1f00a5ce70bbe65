"""Grouping the staff notices of a run of events (`domain/staff_notices.py`), worked by hand: who
gets one mail listing what, and what stays one mail per event."""

from __future__ import annotations

import pytest

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.console_links import ConsoleLinks
from aihub_notifications.domain.mails import MailRequest
from aihub_notifications.domain.replicas import CohortReplica
from aihub_notifications.domain.staff_notices import (
    APPLICATIONS_RECEIVED_MANAGER,
    MAX_LISTED,
    Planned,
    group_staff_notices,
)
from aihub_shared.contracts.values import Contact
from services.notifications.tests.support import (
    applicant_replica,
    application_received,
    cohort_replica,
    enrollment,
    founder,
    manager,
)

RENDERER = MailRenderer(links=ConsoleLinks("https://console.example"))


def received(n: int, cohort: CohortReplica, staff: list[Contact]) -> Planned:
    """The mails of the `n`th application's arrival, planned alone."""
    data = application_received(f"app-{n}", cohort.cohort_code, founder(email=f"f{n}@x.example"))
    data = data.model_copy(update={"startup_name": f"Startup {n}"})
    return Planned(f"event-{n}", mails.application_received(data, cohort, staff))


def templates_and_events(planned: list[Planned]) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted(
        (n.request.template, str(n.request.recipient.email), n.event_ids)
        for n in group_staff_notices(planned)
    )


def test_one_event_is_todays_mail_unchanged() -> None:
    cohort = cohort_replica()
    planned = received(1, cohort, [manager(1)])
    (applicant, staff) = group_staff_notices([planned])
    assert (applicant.request, applicant.event_ids) == (planned.requests[0], ("event-1",))
    assert (staff.request, staff.event_ids) == (planned.requests[1], ("event-1",))
    assert not staff.grouped


def test_several_events_one_mail_per_manager_and_one_per_applicant() -> None:
    cohort = cohort_replica()
    staff = [manager(1, "ko"), manager(2, "en")]
    planned = [received(n, cohort, staff) for n in range(3)]
    events = ("event-0", "event-1", "event-2")
    assert templates_and_events(planned) == sorted(
        [
            *(
                ("application_received_applicant", f"f{n}@x.example", (f"event-{n}",))
                for n in range(3)
            ),
            (APPLICATIONS_RECEIVED_MANAGER, "pm1@hub.example.com", events),
            (APPLICATIONS_RECEIVED_MANAGER, "pm2@hub.example.com", events),
        ]
    )
    grouped = {
        str(n.request.recipient.email): n.request for n in group_staff_notices(planned) if n.grouped
    }
    english = grouped["pm2@hub.example.com"]
    assert english.context["program_name"] == "Cyber Valley Global Batch Program"
    assert english.context["recipient_name"] == "매니저 2"
    assert [i["application_id"] for i in english.context["items"]] == ["app-0", "app-1", "app-2"]
    assert [i["startup_name"] for i in english.context["items"]] == [
        "Startup 0",
        "Startup 1",
        "Startup 2",
    ]
    assert (english.context["total"], english.context["more"]) == (3, 0)


def test_a_manager_gets_only_the_events_they_are_told_of() -> None:
    """Each event's own recipients (its cohort's managers, the directory's subscribers) decide:
    a manager of one of the cohorts gets one of its events as today's single mail."""
    one, other = cohort_replica("cv-2027-1"), cohort_replica("cv-2027-2")
    planned = [
        received(1, one, [manager(1), manager(3)]),
        received(2, other, [manager(1)]),
        received(3, one, [manager(1)]),
    ]
    staff = [t for t in templates_and_events(planned) if "pm" in t[1]]
    assert staff == [
        ("application_received_manager", "pm3@hub.example.com", ("event-1",)),
        (APPLICATIONS_RECEIVED_MANAGER, "pm1@hub.example.com", ("event-1", "event-2", "event-3")),
    ]
    (pm1,) = [n.request for n in group_staff_notices(planned) if n.grouped]
    assert pm1.context["cohort_codes"] == ["cv-2027-1", "cv-2027-2"]


def test_seats_are_told_of_one_cohort_only() -> None:
    """Enrollment events carry the cohort's count after each change: the last one's for a mail
    about one cohort; none for two cohorts (their counts are not one line)."""
    one, other = cohort_replica("cv-2027-1"), cohort_replica("cv-2027-2")

    def confirmed(n: int, cohort: CohortReplica) -> Planned:
        change = enrollment(f"app-{n}", cohort.cohort_code).model_copy(update={"seats_taken": n})
        requests = mails.enrollment_changed(
            "enrollment.confirmed", change, cohort, applicant_replica(f"app-{n}"), [manager(1)]
        )
        return Planned(f"event-{n}", requests)

    def seats(planned: list[Planned]) -> tuple[object, object]:
        (grouped,) = [n.request for n in group_staff_notices(planned) if n.grouped]
        return grouped.context["seats"], grouped.context["seats_taken"]

    assert seats([confirmed(1, one), confirmed(2, one)]) == (3, 2)
    assert seats([confirmed(1, one), confirmed(2, other)]) == (None, None)


def test_the_same_address_in_another_case_is_one_recipient() -> None:
    cohort = cohort_replica()
    planned = [
        received(1, cohort, [manager(1, email="PM@hub.example.com")]),
        received(2, cohort, [manager(1, email="pm@hub.example.com")]),
    ]
    assert [n.event_ids for n in group_staff_notices(planned) if n.grouped] == [
        ("event-1", "event-2")
    ]


def test_other_staff_templates_stay_one_per_event() -> None:
    request = MailRequest(mails.COHORT_FILLED_MANAGER, manager(1), {}, "cyber-valley")
    planned = [Planned("a", [request]), Planned("b", [request])]
    assert [n.event_ids for n in group_staff_notices(planned)] == [("a",), ("b",)]


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_past_the_limit_the_rest_is_counted_with_the_cohorts_page(locale: str) -> None:
    cohort = cohort_replica()
    planned = [received(n, cohort, [manager(1, locale)]) for n in range(MAX_LISTED + 7)]
    (grouped,) = [n for n in group_staff_notices(planned) if n.grouped]
    assert len(grouped.event_ids) == MAX_LISTED + 7
    context = grouped.request.context
    assert (context["total"], len(context["items"]), context["more"]) == (57, MAX_LISTED, 7)
    mail = RENDERER.render(grouped.request.template, locale, context)  # type: ignore[arg-type]
    for part in (mail.text, mail.html):
        assert "app-49" in part
        assert "app-50" not in part
        assert "Startup 49" in part
        assert "https://console.example/cohorts/cv-2027-1/applications" in part
    assert {"ko": "새 신청 57건", "en": "57 new applications"}[locale] in mail.subject
    assert {"ko": "외 7건", "en": "and 7 more"}[locale] in mail.text


def test_a_name_cannot_add_lines_to_the_list() -> None:
    cohort = cohort_replica()
    planned = [received(n, cohort, [manager(1, "en")]) for n in range(2)]
    evil = planned[0].requests[1]
    forged = MailRequest(
        evil.template,
        evil.recipient,
        {**evil.context, "startup_name": "Evil\n- Fake Startup (cv-2027-1)"},
        evil.program_code,
    )
    planned[0] = Planned("event-0", [planned[0].requests[0], forged])
    (grouped,) = [n for n in group_staff_notices(planned) if n.grouped]
    mail = RENDERER.render(grouped.request.template, "en", grouped.request.context)
    assert "\n- Fake Startup" not in mail.text
    assert "Evil - Fake Startup" in mail.text
