"""Every template in both languages, rendered from the planners' sample data and compared with
the golden files in `golden/` (`UPDATE_GOLDEN=1` rewrites them; review the diff). Names and texts
from events can never add a header line or markup."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import UndefinedError

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.mails import (
    APPLICATION_RECEIVED_APPLICANT,
    ENROLLMENT_CONFIRMED_APPLICANT,
)
from aihub_notifications.domain.samples import sample_request

GOLDEN = Path(__file__).parent / "golden"
RENDERER = MailRenderer()
TEMPLATES = sorted(RENDERER.templates())
LOCALES = ("ko", "en")


def test_every_template_has_every_part_in_both_languages() -> None:
    assert len(TEMPLATES) == 22
    assert RENDERER.templates() == {name: {"ko", "en"} for name in TEMPLATES}


def test_no_mail_names_a_stage_by_its_code() -> None:
    """Stages are 서류평가 / Document review to people; `document-review` is for machines."""
    for path in sorted(GOLDEN.rglob("*.*")):
        text = path.read_text(encoding="utf-8")
        for code in ("document-review", "presentation-review"):
            assert code not in text, path


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_golden(template: str, locale: str) -> None:
    mail = RENDERER.render(template, locale, sample_request(template, locale).context)  # type: ignore[arg-type]
    assert mail.locale == locale
    parts = {"subject.txt": mail.subject + "\n", "body.txt": mail.text, "body.html": mail.html}
    for part, rendered in parts.items():
        path = GOLDEN / template / locale / part
        if os.environ.get("UPDATE_GOLDEN"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rendered, encoding="utf-8")
        assert rendered == path.read_text(encoding="utf-8"), f"{template}/{locale}/{part}"


def test_no_golden_file_names_the_reviewer_who_declared_a_conflict() -> None:
    """The samples' replaced reviewer (박도윤, conflicted@...) is in the review_assigned input,
    and must be in no mail: applications hides them from their replacement."""
    goldens = sorted(GOLDEN.rglob("*.*"))
    assert len(goldens) == 3 * 2 * len(TEMPLATES)
    for path in goldens:
        text = path.read_text(encoding="utf-8")
        assert "박도윤" not in text, path
        assert "conflicted@" not in text, path


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_each_mail_is_in_its_language_with_both_parts(template: str, locale: str) -> None:
    request = sample_request(template, locale)  # type: ignore[arg-type]
    mail = RENDERER.render(template, locale, request.context)  # type: ignore[arg-type]
    assert mail.subject.startswith("[서울AI허브] " if locale == "ko" else "[Seoul AI Hub] ")
    assert "\n" not in mail.subject
    assert mail.html.lstrip().startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in mail.html
    assert request.recipient.name in mail.text
    assert request.recipient.name in mail.html
    if "startup_name" in request.context:
        for part in (mail.subject, mail.text, mail.html):
            assert request.context["startup_name"] in part
    if "program_name" in request.context:  # the subject says which program
        assert request.context["program_name"] in mail.subject


KEYWORDS = {"change", "outcome", "day", "agreement_due"}  # chosen by us, compared in templates


def _hostile(current: Any, value: str) -> Any:
    """Every text from an event replaced by `value`, also inside lists (reasons, groups)."""
    if isinstance(current, str):
        return value
    if isinstance(current, list):
        return [_hostile(item, value) for item in current]
    if isinstance(current, dict):
        return {k: _hostile(v, value) for k, v in current.items()}
    return current


def _hostile_context(template: str, value: str) -> dict[str, Any]:
    context = dict(sample_request(template, "ko").context)
    return {k: v if k in KEYWORDS else _hostile(v, value) for k, v in context.items()}


@pytest.mark.parametrize("template", TEMPLATES)
def test_html_escapes_every_text_the_text_part_keeps_it(template: str) -> None:
    hostile = "<script>alert('x')</script> & Co"
    mail = RENDERER.render(template, "ko", _hostile_context(template, hostile))
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert hostile in mail.text  # plain text is not HTML: entities would show
    for nested in ("reasons", "groups", "cohorts"):  # texts inside lists are escaped as well
        if nested in sample_request(template, "ko").context:
            assert mail.html.count("&lt;script&gt;") > 1


@given(name=st.text(min_size=1, max_size=40))
def test_no_name_ever_breaks_the_subject_line(name: str) -> None:
    for template in (APPLICATION_RECEIVED_APPLICANT, ENROLLMENT_CONFIRMED_APPLICANT):
        mail = RENDERER.render(template, "en", _hostile_context(template, name + "\r\nBcc: x@y"))
        assert "\r" not in mail.subject
        assert "\n" not in mail.subject


def test_a_newline_in_a_name_never_reaches_the_subject() -> None:
    mail = RENDERER.render(
        ENROLLMENT_CONFIRMED_APPLICANT,
        "en",
        {
            **sample_request(ENROLLMENT_CONFIRMED_APPLICANT, "en").context,
            "startup_name": "Evil\r\nBcc: victim@example.com",
        },
    )
    assert "Evil Bcc: victim@example.com" in mail.subject


def test_optional_values_may_be_missing() -> None:
    context = {
        **sample_request(ENROLLMENT_CONFIRMED_APPLICANT, "ko").context,
        "partner": None,
        "starts_on": None,
        "agreement_due": None,
    }
    mail = RENDERER.render(ENROLLMENT_CONFIRMED_APPLICANT, "ko", context)
    assert "협력기관" not in mail.text
    assert "기간" not in mail.text
    assert "담당 프로그램 매니저가 협약과 온보딩 일정을" in mail.text


def test_the_confirmation_says_what_to_do_and_by_when() -> None:
    en = sample_request(ENROLLMENT_CONFIRMED_APPLICANT, "en").context
    mail = RENDERER.render(ENROLLMENT_CONFIRMED_APPLICANT, "en", en)
    assert "sign the participation agreement by 2027-02-15 18:00 KST" in mail.text


def test_a_value_the_template_needs_is_never_silently_empty() -> None:
    values = dict(sample_request(ENROLLMENT_CONFIRMED_APPLICANT, "ko").context)
    del values["startup_name"]
    with pytest.raises(UndefinedError):
        RENDERER.render(ENROLLMENT_CONFIRMED_APPLICANT, "ko", values)


def test_a_locale_a_template_lacks_falls_back_to_korean() -> None:
    assert RENDERER.locale_for(ENROLLMENT_CONFIRMED_APPLICANT, "en") == "en"
    assert RENDERER.locale_for("only_in_korean_someday", "en") == "ko"
