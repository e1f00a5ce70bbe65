"""The selection rules' forms and arrangements, without a service: a refusal moved to the
fields of the form that was sent, the open challenges whose reviews do not count, the stages
whose scores are calibrated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aihub_console.adapters.manager_views import ReplicatedCohort
from aihub_console.adapters.rule_calls import Challenge
from aihub_console.domain.refusals import FormErrors
from aihub_console.domain.rule_forms import form_field, prefixed
from aihub_console.service_layer.cohort_overview import calibrated_stages
from aihub_console.service_layer.selection_rules import open_challenged

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_refusal_lands_at_the_fields_of_the_form_that_was_sent() -> None:
    refused = FormErrors(fields={"reason": ["String should have at least 1 character"]})
    moved = prefixed(refused, "bonus-youth")
    assert moved.fields == {"bonus-youth.reason": ["String should have at least 1 character"]}
    assert moved.of("reason") == []
    page = prefixed(FormErrors(message="the challenge is already decided"), "decide-1")
    assert (page.fields, page.message) == ({}, "the challenge is already decided")


def test_a_prefixed_field_is_read_trimmed_and_empty_when_absent() -> None:
    typed = {"challenge.reason": "  advises a competitor ", "reason": "another form's"}
    assert form_field(typed, "challenge", "reason") == "advises a competitor"
    assert form_field(typed, "challenge", "reviewer_id") == ""


def _challenge(stage: str, reviewer: str, status: str) -> Challenge:
    return Challenge(
        challenge_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        startup_name="누리비전",
        stage_code=stage,
        reviewer_id=reviewer,
        reviewer_name=reviewer[:2],
        reason="advises a competitor",
        filed_by="pm@hub.example",
        filed_at=NOW,
        status=status,
        decision_reason=None if status == "open" else "checked",
        decided_by=None if status == "open" else "pm@hub.example",
        decided_at=None if status == "open" else NOW,
    )


def test_only_open_challenges_keep_reviews_from_counting() -> None:
    found = [
        _challenge("document-review", "r1@hub.example", "dismissed"),
        _challenge("document-review", "r1@hub.example", "open"),
        _challenge("document-review", "r2@hub.example", "upheld"),
        _challenge("presentation-review", "r3@hub.example", "open"),
    ]
    assert open_challenged(found) == {
        ("document-review", "r1@hub.example"),
        ("presentation-review", "r3@hub.example"),
    }


def test_calibrated_stages_are_those_the_catalog_calibrates() -> None:
    stage = {"name_ko": "서류평가", "name_en": "Documents", "weight": 50}
    cohort = ReplicatedCohort.model_validate(
        {
            "cohort_code": "c",
            "program_code": "p",
            "program_name_ko": "프로그램",
            "program_name_en": "Program",
            "seats": 2,
            "application_opens_at": NOW,
            "application_closes_at": NOW,
            "review_stages": [
                {**stage, "code": "doc", "calibration": "z-score"},
                {**stage, "code": "pitch"},
            ],
        }
    )
    assert calibrated_stages(cohort) == {"doc"}
    assert calibrated_stages(None) == frozenset()
