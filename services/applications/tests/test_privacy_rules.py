"""Consent rules, without I/O: a cohort's consent text decides which consent records count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aihub_applications.domain.eligibility import consent_refusals
from aihub_shared.contracts.intake import ApplicationSubmitted
from aihub_shared.contracts.privacy import ConsentTextRef

REQUIRED = ConsentTextRef(id="aihub-application-privacy", version=3)


def submitted(consent: dict[str, Any] | None, locale: str = "en") -> ApplicationSubmitted:
    return ApplicationSubmitted.model_validate(
        {
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
            "contact": {"name": "Kim", "email": "kim@example.com", "locale": locale},
            "consent_personal_info": True,
            "consent": consent,
        }
    )


def record(text_id: str = "aihub-application-privacy", version: int = 3) -> dict[str, Any]:
    return {
        "text_id": text_id,
        "text_version": version,
        "locale": "ko",
        "agreed_at": datetime(2027, 1, 19, tzinfo=UTC).isoformat(),
    }


def test_only_the_required_text_and_version_count() -> None:
    assert consent_refusals(submitted(record()), REQUIRED) == []
    assert [r.code for r in consent_refusals(submitted(record(version=2)), REQUIRED)] == [
        "consent_text_mismatch"
    ]
    assert [r.code for r in consent_refusals(submitted(record("other-text")), REQUIRED)] == [
        "consent_text_mismatch"
    ]
    assert [r.code for r in consent_refusals(submitted(None), REQUIRED)] == ["consent_text_missing"]


def test_a_cohort_without_a_text_asks_for_no_record() -> None:
    assert consent_refusals(submitted(None), None) == []
    assert consent_refusals(submitted(record(version=1)), None) == []


def test_the_reason_is_in_the_applicants_language() -> None:
    (reason,) = consent_refusals(submitted(record(version=2), locale="ko"), REQUIRED)
    assert "동의서" in reason.message
    assert "aihub-application-privacy v2" in reason.message
