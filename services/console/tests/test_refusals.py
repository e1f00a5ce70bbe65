"""A service's refusal (the `aihub_shared.refusals` answer shapes) as form errors."""

from __future__ import annotations

from aihub_console.domain.refusals import form_errors


def test_a_reason_is_the_page_message() -> None:
    errors = form_errors("the stage 서류평가 is closed", fallback="refused")
    assert errors.message == "the stage 서류평가 is closed"
    assert errors.fields == {}


def test_invalid_input_lands_at_each_field_by_its_path_inside_the_body() -> None:
    detail = [
        {"loc": ["body", "scores", 0, "score"], "msg": "at most 100", "type": "value_error"},
        {"loc": ["body", "scores", 0, "score"], "msg": "a whole number", "type": "value_error"},
        {"loc": ["body", "reason"], "msg": "required", "type": "missing"},
        {"loc": ["query", "page"], "msg": "at least 1", "type": "value_error"},
    ]
    errors = form_errors(detail, fallback="refused")
    assert errors.of("scores.0.score") == ["at most 100", "a whole number"]
    assert errors.of("reason") == ["required"]
    assert errors.of("page") == ["at least 1"]
    assert errors.message is None


def test_a_problem_without_a_location_is_for_the_page() -> None:
    errors = form_errors([{"loc": [], "msg": "the cohort is full"}], fallback="refused")
    assert errors.message == "the cohort is full"
    assert not errors.fields


def test_an_answer_without_a_reason_gets_the_fallback() -> None:
    for detail in (None, "", {"unexpected": 1}, [], [42]):
        errors = form_errors(detail, fallback="The request was refused")
        assert errors.message == "The request was refused", detail
        assert errors
