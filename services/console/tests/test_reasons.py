"""The services' reasons said in the page's language: by their code where the catalog knows it,
else as the service said it (with a note on a Korean page)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from aihub_console.domain.refusals import form_errors
from aihub_console.entrypoints.i18n import translations
from aihub_console.entrypoints.reasons import REASONS, speaker


def page_in(language: str) -> Request:
    return Request({"type": "http", "session": {"language": language}})


def test_a_coded_reason_is_said_in_korean_with_its_values() -> None:
    say = speaker(page_in("ko"))
    said = say("not_your_program", {"program": "cv-batch"}, "you do not manage program 'cv-batch'")
    assert said == "cv-batch 프로그램의 담당자가 아닙니다."
    # pydantic's own problems too, with their `ctx`.
    assert say("less_than_equal", {"le": 10000}, "Input should be ...") == "10,000 이하여야 합니다."


def test_a_moment_among_the_values_is_shown_in_seoul_time() -> None:
    say = speaker(page_in("ko"))
    said = say(
        "criteria_fixed",
        {"opened_at": "2027-03-01T00:00:00+00:00", "stage": "docs", "criteria": "tech (1)"},
        "the criteria of stage docs ...",
    )
    assert "2027-03-01 09:00 KST" in said
    assert "tech (1)" in said


def test_an_unknown_reason_keeps_the_service_words_with_a_note_on_a_korean_page() -> None:
    english = "the cohort cv-2027-1 is archived"
    assert speaker(page_in("ko"))(None, {}, english) == f"{english} (서비스가 보낸 원문)"
    assert speaker(page_in("ko"))("value_error", {}, english) == f"{english} (서비스가 보낸 원문)"
    assert speaker(page_in("en"))(None, {}, english) == english


def test_values_of_another_shape_fall_back_to_the_service_words() -> None:
    said = speaker(page_in("ko"))("too_few_reviews", {"count": 3}, "3 application(s) ...")
    assert said == "3 application(s) ... (서비스가 보낸 원문)"


def test_form_errors_say_each_problem_at_its_field() -> None:
    detail = [
        {
            "loc": ["body", "seats"],
            "msg": "Input should be ≤ 10000",
            "type": "less_than_equal",
            "ctx": {"le": 10000},
        },
        {
            "loc": ["body", "review_stages"],
            "msg": "review stage weights must sum to 100",
            "type": "stage_weights_sum",
        },
    ]
    errors = form_errors(detail, fallback="refused", say=speaker(page_in("ko")))
    assert errors.of("seats") == ["10,000 이하여야 합니다."]
    assert errors.of("review_stages") == ["평가 단계 가중치의 합이 100이어야 합니다."]
    refusal = form_errors(
        "cannot review: the application is rejected, not in review",
        fallback="refused",
        code="not_in_review",
        params={"status": "rejected"},
        say=speaker(page_in("ko")),
    )
    assert refusal.message == "이 신청은 심사 중이 아닙니다."


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_has_korean_words(code: str) -> None:
    assert translations("ko").gettext(REASONS[code]) != REASONS[code]


def test_counts_among_the_values_are_shown_in_the_reader_s_locale() -> None:
    said = speaker(page_in("en"))(
        "too_few_reviews", {"count": 5000, "stage": "docs", "min": 2}, "5000 application(s) ..."
    )
    assert said == "5,000 application(s) in this stage have fewer than 2 scored reviews."
