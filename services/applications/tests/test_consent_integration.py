"""Consent on record: a cohort names the consent text it requires, a submission records which
text (id, version, language) it agreed to and when, and another version is refused with a reason."""

from __future__ import annotations

from typing import Any

import httpx

from services.applications.tests.support import (
    ADMIN,
    CohortFactory,
    bearer,
    submission,
    submit,
)

REQUIRED = {"id": "aihub-application-privacy", "version": 3}


def consent(version: int = 3, **optional: bool) -> dict[str, Any]:
    return {
        "text_id": "aihub-application-privacy",
        "text_version": version,
        "locale": "en",
        "agreed_at": "2027-01-19T23:58:12+09:00",
        "optional": optional,
    }


async def test_the_consent_agreed_to_is_stored_and_shown(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(consent_text=REQUIRED)
    receipt = await submit(
        api, submission(cohort, 1, consent=consent(marketing_mail=False, partner_sharing=True))
    )
    assert receipt["outcome"] == "accepted", receipt

    shown = await api.get(f"/applications/{receipt['application_id']}", headers=bearer(ADMIN))
    assert shown.status_code == 200, shown.text
    assert shown.json()["consent"] == {
        "text_id": "aihub-application-privacy",
        "text_version": 3,
        "locale": "en",
        "agreed_at": "2027-01-19T23:58:12+09:00",
        # Each optional use on its own: agreeing to share with partners is not agreeing to mail.
        "optional": {"marketing_mail": False, "partner_sharing": True},
    }
    assert shown.json()["erased_at"] is None


async def test_consent_to_another_version_is_refused_with_the_reason(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(consent_text=REQUIRED)
    outdated = await submit(api, submission(cohort, 2, consent=consent(version=2)))
    assert outdated["outcome"] == "refused"
    assert outdated["reasons"] == [
        {
            "code": "consent_text_mismatch",
            "message": "The consent given was to aihub-application-privacy v2, not to the notice"
            " this cohort requires, aihub-application-privacy (version 3); please agree to the"
            " current notice.",
            "path": None,
        }
    ]

    korean = submission(
        cohort, 3, contact={"name": "김민아", "email": "kim3@startup.example", "locale": "ko"}
    )
    (missing,) = (await submit(api, korean))["reasons"]
    assert missing["code"] == "consent_text_missing"
    assert "aihub-application-privacy (버전 3)" in missing["message"]


async def test_a_cohort_without_a_consent_text_takes_the_boolean_alone(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    receipt = await submit(api, submission(cohort, 4))
    assert receipt["outcome"] == "accepted"
    shown = await api.get(f"/applications/{receipt['application_id']}", headers=bearer(ADMIN))
    assert shown.json()["consent"] is None
    refused = await submit(api, submission(cohort, 5, consent_personal_info=False))
    assert [r["code"] for r in refused["reasons"]] == ["consent_missing"]
