"""Eligibility and the status machine of an application."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aihub_applications.domain.eligibility import (
    CohortRules,
    check_eligibility,
    full_years_between,
)
from aihub_applications.domain.status import IllegalTransition, Status, allowed_next, transition
from aihub_shared.contracts.intake import ApplicationSubmitted
from aihub_shared.contracts.programs import CohortQuestion

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 12:00 in Seoul
CONTACT = {"name": "Kim", "email": "kim@example.com", "locale": "en"}


def submission(**overrides: Any) -> ApplicationSubmitted:
    data: dict[str, Any] = {
        "submission_id": "s-1",
        "program_code": "cyber-valley-batch",
        "cohort_code": "cyber-valley-2027-1",
        "startup": {
            "name": "Lab",
            "business_registration_number": "2208162517",
            "founded_on": "2022-03-01",
            "employees": 3,
            "ai_field": "nlp",
        },
        "contact": {"name": "Kim", "email": "kim@example.com", "locale": "en"},
        "consent_personal_info": True,
    }
    data.update(overrides)
    return ApplicationSubmitted.model_validate(data)


def cohort(**overrides: Any) -> CohortRules:
    values: dict[str, Any] = {
        "cohort_code": "cyber-valley-2027-1",
        "program_code": "cyber-valley-batch",
        "application_opens_at": NOW - timedelta(days=1),
        "application_closes_at": NOW + timedelta(days=1),
        "max_startup_age_years": 7,
    }
    values.update(overrides)
    return CohortRules(**values)


def codes(sub: ApplicationSubmitted, rules: CohortRules | None, **kw: Any) -> list[str]:
    first = kw.pop("first_application_id", None)
    now = kw.pop("now", NOW)
    return [r.code for r in check_eligibility(sub, rules, now=now, first_application_id=first)]


def test_an_eligible_submission_has_no_reasons() -> None:
    assert codes(submission(), cohort()) == []


def test_unknown_cohort() -> None:
    assert codes(submission(), None) == ["unknown_cohort"]


def test_window_is_checked_to_the_second() -> None:
    closes = NOW
    assert codes(submission(), cohort(application_closes_at=closes), now=closes) == []
    late = closes + timedelta(seconds=1)
    assert codes(submission(), cohort(application_closes_at=closes), now=late) == ["window_closed"]
    assert codes(submission(), cohort(application_opens_at=NOW + timedelta(seconds=1))) == [
        "window_not_open"
    ]


def test_every_failed_rule_is_reported_at_once() -> None:
    sub = submission(consent_personal_info=False, program_code="membership")
    assert codes(sub, cohort(), first_application_id="abc") == [
        "program_mismatch",
        "consent_missing",
        "duplicate_business_registration",
    ]


def test_startup_age_counts_full_years_in_seoul() -> None:
    sub = submission(startup={**submission().startup.model_dump(), "founded_on": "2019-11-20"})
    assert codes(sub, cohort()) == ["startup_too_old"]  # exactly 7 years old that day in Seoul
    sub = submission(startup={**submission().startup.model_dump(), "founded_on": "2019-11-21"})
    assert codes(sub, cohort()) == []


def test_reasons_speak_the_applicants_language() -> None:
    sub = submission(contact={"name": "김", "email": "k@example.com", "locale": "ko"})
    (reason,) = check_eligibility(sub, None, now=NOW, first_application_id=None)
    assert "기수" in reason.message


@given(st.dates(date(1990, 1, 1), date(2030, 1, 1)), st.dates(date(1990, 1, 1), date(2030, 1, 1)))
def test_full_years_is_never_more_than_the_calendar_allows(a: date, b: date) -> None:
    start, end = min(a, b), max(a, b)
    years = full_years_between(start, end)
    assert 0 <= years <= end.year - start.year


def test_the_happy_path_of_statuses() -> None:
    status = Status.RECEIVED
    for target in (Status.ACCEPTED, Status.WAITLISTED, Status.ENROLLED):
        status = transition(status, target)
    assert status is Status.ENROLLED


def test_an_illegal_transition_says_why() -> None:
    with pytest.raises(IllegalTransition, match="rejected cannot become accepted"):
        transition(Status.REJECTED, Status.ACCEPTED)


@given(st.lists(st.sampled_from(list(Status)), max_size=20))
def test_no_sequence_of_commands_reaches_an_illegal_state(targets: list[Status]) -> None:
    status = Status.RECEIVED
    for target in targets:
        try:
            new = transition(status, target)
        except IllegalTransition:
            continue
        assert new in allowed_next(status)
        status = new
    # terminal states stay terminal
    if status in (Status.REJECTED, Status.CANCELLED, Status.WITHDRAWN, Status.INELIGIBLE):
        assert not allowed_next(status)


def test_required_answers_from_the_cohort_questions_in_the_applicants_language() -> None:
    questions = (
        CohortQuestion(key="why_now", label_ko="왜 지금인가요?", label_en="Why now?"),
        CohortQuestion(key="team", label_ko="팀 소개", label_en="Team", required=True),
        CohortQuestion(key="extra", label_ko="기타", label_en="Other", required=False),
    )
    rules = cohort(questions=questions)
    sub = submission(answers={"why_now": "   "}, contact={**CONTACT, "locale": "ko"})
    reasons = check_eligibility(sub, rules, now=NOW, first_application_id=None)
    assert [r.code for r in reasons] == ["answer_missing", "answer_missing"]
    assert reasons[0].message == "필수 질문에 답해야 합니다: 왜 지금인가요? (why_now)"
    answered = submission(answers={"why_now": "pilots done", "team": "three engineers"})
    assert codes(answered, rules) == []


def test_a_submission_within_the_closing_second_is_on_time() -> None:
    closes = NOW.replace(microsecond=0)
    rules = cohort(application_closes_at=closes)
    assert codes(submission(), rules, now=closes + timedelta(milliseconds=999)) == []
    assert codes(submission(), rules, now=closes + timedelta(seconds=1)) == ["window_closed"]


def test_a_duplicate_points_to_the_first_application() -> None:
    (reason,) = check_eligibility(
        submission(), cohort(), now=NOW, first_application_id="11111111-aaaa"
    )
    assert reason.code == "duplicate_business_registration"
    assert "11111111-aaaa" in reason.message


@pytest.mark.parametrize(
    "blank",
    ["", "   ", "\u3000\t\n", "\u200b", "\ufeff\u200b", "\u3164\u3164", "\u2800", " \u00a0 "],
)
def test_an_answer_with_nothing_visible_is_missing(blank: str) -> None:
    rules = cohort(questions=(CohortQuestion(key="why_now", label_ko="왜", label_en="Why"),))
    assert codes(submission(answers={"why_now": blank}), rules) == ["answer_missing"]


@pytest.mark.parametrize("answer", ["네", "ok", "\u200b1", "🙂", "ㄱ"])
def test_any_visible_character_is_an_answer(answer: str) -> None:
    rules = cohort(questions=(CohortQuestion(key="why_now", label_ko="왜", label_en="Why"),))
    assert codes(submission(answers={"why_now": answer}), rules) == []


def test_a_founding_date_after_the_day_of_application_in_seoul_is_refused() -> None:
    def founded(day: str) -> ApplicationSubmitted:
        return submission(startup={**submission().startup.model_dump(), "founded_on": day})

    after_midnight_in_seoul = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 21 Nov 00:30 KST
    assert codes(founded("2026-11-21"), cohort(), now=after_midnight_in_seoul) == []
    assert codes(founded("2026-11-22"), cohort(), now=after_midnight_in_seoul) == [
        "founded_in_future"
    ]
    # A year typed wrong (2062 for 2026) is no newborn within any age limit.
    sub = founded("2062-03-01").model_copy(
        update={"contact": submission().contact.model_copy(update={"locale": "ko"})}
    )
    (reason,) = check_eligibility(sub, cohort(), now=NOW, first_application_id=None)
    assert (reason.code, reason.message) == (
        "founded_in_future",
        "설립일 2062-03-01이(가) 접수일 2026-11-20보다 늦습니다. 설립일을 확인해 주세요.",
    )


def test_a_deadline_announced_in_seoul_time_holds_to_the_second() -> None:
    closes = datetime.fromisoformat("2026-11-30T18:00:00+09:00")  # 마감 18시 (KST)
    rules = cohort(application_opens_at=closes - timedelta(days=30), application_closes_at=closes)
    on_time = datetime(2026, 11, 30, 9, 0, 0, 999_000, tzinfo=UTC)
    assert codes(submission(), rules, now=on_time) == []
    late = datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC)
    (reason,) = check_eligibility(submission(), rules, now=late, first_application_id=None)
    assert (reason.code, reason.message) == (
        "window_closed",
        "Applications closed at 2026-11-30 18:00:00 (KST).",
    )
