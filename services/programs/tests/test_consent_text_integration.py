"""A cohort names the consent text its applicants must agree to and how long their data is kept
after it ends, and the catalog publishes both."""

from __future__ import annotations

import asyncpg
import httpx

from services.programs.tests.support import ADMIN, cohort_body, program_body, queued


async def test_a_cohorts_consent_text_is_published_and_changed_like_its_other_settings(
    api: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    required = {"id": "aihub-application-privacy", "version": 3}
    body = program_body(cohorts=[cohort_body(consent_text=required)])
    assert (await api.post("/programs", json=body, headers=ADMIN)).status_code == 201
    shown = await api.get("/cohorts/cv-2027-1", headers=ADMIN)
    assert shown.json()["consent_text"] == required
    # Unless a cohort says otherwise: 3 years for the selected, 1 for the others.
    assert shown.json()["retention"] == {"selected_days": 1095, "not_selected_days": 365}

    settings = {k: v for k, v in cohort_body().items() if k != "code"}
    newer = {
        **settings,
        "consent_text": {"id": "aihub-application-privacy", "version": 4},
        "retention": {"selected_days": 1825, "not_selected_days": 180},
    }
    assert (await api.put("/cohorts/cv-2027-1", json=newer, headers=ADMIN)).status_code == 200
    published = [e["data"] for e in await queued(db) if e["name"] == "cohort.published"]
    assert [p.get("consent_text") for p in published] == [required, newer["consent_text"]]
    assert published[-1]["retention"] == newer["retention"]

    # A typo is refused, not dropped: a consent text that publishes must be exactly named.
    typo = {**settings, "consent_text": {"id": "aihub-application-privacy", "verison": 4}}
    refused = await api.put("/cohorts/cv-2027-1", json=typo, headers=ADMIN)
    assert refused.status_code == 422, refused.text
