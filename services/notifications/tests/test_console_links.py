"""Every staff mail leads to its console page (the console's URL map), from `CONSOLE_BASE_URL`;
no applicant mail links into the staff console."""

from __future__ import annotations

import pytest

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain import mails
from aihub_notifications.domain.appeal_mails import APPEAL_FILED_MANAGER
from aihub_notifications.domain.console_links import ConsoleLinks
from aihub_notifications.domain.reminders import REVIEW_REMINDER_REVIEWER
from aihub_notifications.domain.samples import OTHER_STARTUPS, sample_request
from aihub_notifications.domain.staff_notices import (
    APPLICATIONS_DECIDED_MANAGER,
    APPLICATIONS_RECEIVED_MANAGER,
    ENROLLMENTS_CHANGED_MANAGER,
)
from aihub_notifications.settings import Settings

BASE = "https://console.hub.example/staff"
RENDERER = MailRenderer(links=ConsoleLinks(BASE + "/"))
APPLICATION = "0b8f5a52-3c1e-4e0b-9a57-6f1d2a7c9e01"  # the samples' application

#: Each staff template and the console pages it must link to.
STAFF_PAGES = {
    mails.REVIEW_ASSIGNED_REVIEWER: [f"{BASE}/reviews/{APPLICATION}"],
    REVIEW_REMINDER_REVIEWER: [f"{BASE}/reviews/{APPLICATION}"],
    mails.APPLICATION_RECEIVED_MANAGER: [f"{BASE}/applications/{APPLICATION}"],
    mails.APPLICATION_INELIGIBLE_MANAGER: [f"{BASE}/applications/{APPLICATION}"],
    mails.APPLICATION_DECIDED_MANAGER: [f"{BASE}/applications/{APPLICATION}"],
    APPEAL_FILED_MANAGER: [f"{BASE}/applications/{APPLICATION}"],
    mails.ENROLLMENT_CHANGED_MANAGER: [f"{BASE}/cohorts/cyber-valley-2027-1/enrollments"],
    mails.COHORT_FILLED_MANAGER: [f"{BASE}/cohorts/cyber-valley-2027-1/enrollments"],
    mails.DAILY_DIGEST_MANAGER: [
        f"{BASE}/cohorts",
        f"{BASE}/cohorts/cyber-valley-2027-1",
        f"{BASE}/cohorts/ai-membership-2027-1",
    ],
    APPLICATIONS_RECEIVED_MANAGER: [
        f"{BASE}/applications/{APPLICATION}",
        *(f"{BASE}/applications/{other[0]}" for other in OTHER_STARTUPS),
        f"{BASE}/cohorts/cyber-valley-2027-1/applications",
    ],
    APPLICATIONS_DECIDED_MANAGER: [
        f"{BASE}/applications/{APPLICATION}",
        *(f"{BASE}/applications/{other[0]}" for other in OTHER_STARTUPS),
        f"{BASE}/cohorts/cyber-valley-2027-1/applications",
    ],
    ENROLLMENTS_CHANGED_MANAGER: [
        f"{BASE}/applications/{APPLICATION}",
        *(f"{BASE}/applications/{other[0]}" for other in OTHER_STARTUPS),
        f"{BASE}/cohorts/cyber-valley-2027-1/enrollments",
    ],
    mails.DEAD_LETTERS_OPS: [
        f"{BASE}/ops/dead-letters?topic=intake.applications.dlq",
        f"{BASE}/ops/dead-letters?topic=programs.enrollments.dlq",
    ],
}


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("template", sorted(STAFF_PAGES))
def test_a_staff_mail_links_to_its_page_in_both_parts(template: str, locale: str) -> None:
    mail = RENDERER.render(template, locale, sample_request(template, locale).context)  # type: ignore[arg-type]
    for url in STAFF_PAGES[template]:
        assert f'href="{url}"' in mail.html
        assert url in mail.text.split()  # alone, so mail readers make it clickable


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("template", [mails.REVIEW_ASSIGNED_REVIEWER, REVIEW_REMINDER_REVIEWER])
def test_the_scoring_request_is_the_button(template: str, locale: str) -> None:
    mail = RENDERER.render(template, locale, sample_request(template, locale).context)  # type: ignore[arg-type]
    label = {"ko": "평가 기준에 따라 점수를 입력해 주세요", "en": "Score it against the stage"}
    anchor = mail.html.split(f'href="{BASE}/reviews/{APPLICATION}"', 1)[1].split("</a>", 1)[0]
    assert label[locale] in anchor


def test_no_applicant_mail_links_into_the_console() -> None:
    applicant = [t for t in RENDERER.templates() if t.endswith("_applicant")]
    assert len(applicant) == 9
    for template in applicant:
        for locale in ("ko", "en"):
            mail = RENDERER.render(template, locale, sample_request(template, locale).context)
            assert "console.hub.example" not in mail.html + mail.text


def test_codes_and_topics_cannot_change_the_page() -> None:
    links = ConsoleLinks("https://c.example")
    assert links.cohort("a/../ops") == "https://c.example/cohorts/a%2F..%2Fops"
    assert links.dead_letters("x.dlq&topic=y") == (
        "https://c.example/ops/dead-letters?topic=x.dlq%26topic%3Dy"
    )
    assert links.cohort_enrollments("cv 1") == "https://c.example/cohorts/cv%201/enrollments"


def test_the_base_url_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", "postgresql://x@localhost/x")
    monkeypatch.setenv("OIDC_ISSUER_URL", "http://127.0.0.1:8080/realms/aihub")
    monkeypatch.setenv("KAFKA_USERNAME", "notifications")
    monkeypatch.setenv("KAFKA_PASSWORD", "x")
    assert Settings().console_base_url == "http://127.0.0.1:8010"
    monkeypatch.setenv("CONSOLE_BASE_URL", "https://console.seoulaihub.kr")
    assert Settings().console_base_url == "https://console.seoulaihub.kr"
    monkeypatch.setenv("CONSOLE_BASE_URL", "javascript:alert(1)")
    with pytest.raises(ValueError, match="CONSOLE_BASE_URL"):
        Settings()
