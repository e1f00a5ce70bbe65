"""The templates, rendered for real: both templates in both languages."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from jinja2 import UndefinedError

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.mails import (
    ENROLLMENT_CONFIRMED_APPLICANT,
    ENROLLMENT_CONFIRMED_MANAGER,
)

TEMPLATES = (ENROLLMENT_CONFIRMED_MANAGER, ENROLLMENT_CONFIRMED_APPLICANT)
PROGRAM = {"ko": "사이버밸리 글로벌 배치 프로그램", "en": "Cyber Valley Global Batch Program"}


@pytest.fixture(scope="module")
def renderer() -> MailRenderer:
    return MailRenderer()


def context(locale: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "recipient_name": "김민지" if locale == "ko" else "Jane Park",
        "startup_name": "Deep Harbor AI",
        "program_name": PROGRAM[locale],
        "program_code": "cyber-valley",
        "cohort_code": "cv-2027-1",
        "partner": "Cyber Valley",
        "starts_on": date(2027, 3, 2),
        "ends_on": date(2027, 8, 31),
        "application_id": "app-42",
        "seats": 3,
        "seats_taken": 2,
    }
    return {**values, **overrides}


def test_every_template_has_every_part_in_both_languages(renderer: MailRenderer) -> None:
    assert renderer.templates() == {name: {"ko", "en"} for name in TEMPLATES}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("locale", ["ko", "en"])
def test_subject_and_both_parts_name_the_startup_and_program(
    renderer: MailRenderer, template: str, locale: str
) -> None:
    mail = renderer.render(template, locale, context(locale))  # type: ignore[arg-type]
    assert mail.locale == locale
    for part in (mail.subject, mail.text, mail.html):
        assert "Deep Harbor AI" in part
        assert PROGRAM[locale] in part
    assert "\n" not in mail.subject
    assert mail.text.strip()
    assert "<" not in mail.text
    assert mail.html.lstrip().startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in mail.html
    assert "app-42" in mail.text
    assert "app-42" in mail.html
    recipient = "김민지" if locale == "ko" else "Jane Park"
    assert recipient in mail.text
    assert recipient in mail.html


@pytest.mark.parametrize(
    ("template", "locale", "subject"),
    [
        (
            ENROLLMENT_CONFIRMED_APPLICANT,
            "ko",
            "[서울AI허브] Deep Harbor AI — 사이버밸리 글로벌 배치 프로그램 최종 선정 및 참여 확정",
        ),
        (
            ENROLLMENT_CONFIRMED_APPLICANT,
            "en",
            "[Seoul AI Hub] Deep Harbor AI confirmed for Cyber Valley Global Batch Program",
        ),
        (
            ENROLLMENT_CONFIRMED_MANAGER,
            "ko",
            "[서울AI허브] Deep Harbor AI — 사이버밸리 글로벌 배치 프로그램 최종 선정 및 참여 확정"
            " (cv-2027-1)",
        ),
        (
            ENROLLMENT_CONFIRMED_MANAGER,
            "en",
            "[Seoul AI Hub] Deep Harbor AI confirmed for Cyber Valley Global Batch Program"
            " (cv-2027-1)",
        ),
    ],
)
def test_subjects(renderer: MailRenderer, template: str, locale: str, subject: str) -> None:
    assert renderer.render(template, locale, context(locale)).subject == subject  # type: ignore[arg-type]


def test_korean_and_english_bodies_differ(renderer: MailRenderer) -> None:
    ko = renderer.render(ENROLLMENT_CONFIRMED_APPLICANT, "ko", context("ko"))
    en = renderer.render(ENROLLMENT_CONFIRMED_APPLICANT, "en", context("en"))
    assert "축하드립니다" in ko.text
    assert "축하드립니다" in ko.html
    assert "Congratulations" in en.text
    assert "Congratulations" in en.html
    assert "Congratulations" not in ko.text


def test_manager_mail_tells_the_seat_count_and_start(renderer: MailRenderer) -> None:
    mail = renderer.render(ENROLLMENT_CONFIRMED_MANAGER, "en", context("en"))
    assert "2 of 3" in mail.text
    assert "2027-03-02" in mail.text
    assert "2027-03-02" in mail.html


@pytest.mark.parametrize("template", TEMPLATES)
def test_html_escapes_names_text_keeps_them(renderer: MailRenderer, template: str) -> None:
    hostile = "<script>alert('x')</script> & Co"
    mail = renderer.render(
        template, "ko", context("ko", startup_name=hostile, recipient_name=hostile)
    )
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in mail.html
    # Plain text is not HTML: escaping it would show entities to the reader.
    assert hostile in mail.text
    assert hostile in mail.subject


def test_a_newline_in_a_name_never_reaches_the_subject(renderer: MailRenderer) -> None:
    mail = renderer.render(
        ENROLLMENT_CONFIRMED_APPLICANT,
        "en",
        context("en", startup_name="Evil\r\nBcc: victim@example.com"),
    )
    assert "\r" not in mail.subject
    assert "\n" not in mail.subject
    assert "Evil Bcc: victim@example.com" in mail.subject


def test_optional_values_may_be_missing(renderer: MailRenderer) -> None:
    mail = renderer.render(
        ENROLLMENT_CONFIRMED_APPLICANT, "ko", context("ko", partner=None, starts_on=None)
    )
    assert "협력기관" not in mail.text
    assert "기간" not in mail.text


def test_a_value_the_template_needs_is_never_silently_empty(renderer: MailRenderer) -> None:
    values = context("ko")
    del values["startup_name"]
    with pytest.raises(UndefinedError):
        renderer.render(ENROLLMENT_CONFIRMED_APPLICANT, "ko", values)


def test_a_locale_a_template_lacks_falls_back_to_korean(renderer: MailRenderer) -> None:
    assert renderer.locale_for(ENROLLMENT_CONFIRMED_MANAGER, "en") == "en"
    assert renderer.locale_for("only_in_korean_someday", "en") == "ko"
