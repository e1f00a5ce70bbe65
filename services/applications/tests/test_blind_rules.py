"""Blind review's pure rules: who reviews blind, the label, what is masked."""

from __future__ import annotations

from aihub_applications.domain.blind import anonymous_label, hidden_values, masked, reviews_blind
from aihub_shared.contracts.programs import default_review_stages

DOC, PRES = default_review_stages()
BLIND_DOC = DOC.model_copy(update={"blind": True})


def test_blind_only_when_every_stage_the_reviewer_has_is_blind() -> None:
    stages = [BLIND_DOC, PRES]
    assert reviews_blind(stages, [DOC.code])
    assert not reviews_blind(stages, [DOC.code, PRES.code])  # they see it in the pitch anyway
    assert not reviews_blind(stages, [PRES.code])
    assert not reviews_blind(stages, [])  # not a reviewer of it at all
    assert not reviews_blind([DOC, PRES], [DOC.code])  # stages are open by default


def test_the_label_is_stable_and_differs_between_applications() -> None:
    assert anonymous_label("a") == anonymous_label("a")
    assert anonymous_label("a") != anonymous_label("b")


def test_masking_removes_identities_and_scrubs_them_from_any_text() -> None:
    application = {
        "id": "0b8f",
        "program_code": "p1",
        "startup_name": "Acme AI",
        "business_registration_number": "1234567891",
        "submitted_by": "/partners/portal",
        "submission_id": "sub-1",
        "submission": {
            "submission_id": "sub-1",
            "startup": {"name": "Acme AI", "website": "https://acme.example", "employees": 3},
            "contact": {"name": "Kim Sora", "email": "sora@acme.example"},
            "answers": {"why_now": "pilots"},
        },
        "history": [{"reason": "ACME AI passes; call kim sora"}],
    }
    seen = masked(application, hidden_values(application))
    label = anonymous_label("0b8f")
    assert seen["startup_name"] == seen["anonymous_label"] == label
    assert seen["business_registration_number"] == seen["submission_id"] == ""
    assert seen["submission"] == {
        "startup": {"name": label, "employees": 3},
        "answers": {"why_now": "pilots"},
    }
    assert seen["history"] == [{"reason": f"{label} passes; call {label}"}]
