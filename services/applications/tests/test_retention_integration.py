"""The retention worker on real Postgres, with a clock the test sets: after a cohort ends, the
not-selected applicants' data goes after the shorter period, the selected ones' after the
longer, each erased exactly as an erasure request erases it, once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx

from aihub_applications.service_layer.retention import RETENTION_REQUESTER, erase_expired
from services.applications.tests.support import (
    ADMIN,
    CohortFactory,
    bearer,
    submission,
    submit,
)

ENDS_ON = date(2026, 1, 31)


def day_after_end(days: int) -> datetime:
    end = datetime.combine(ENDS_ON, datetime.min.time(), tzinfo=UTC)
    return end + timedelta(days=days, hours=12)


async def erased(pool: asyncpg.Pool, ids: list[str]) -> set[str]:
    rows = await pool.fetch(
        "SELECT id::text FROM applications WHERE id = ANY($1::uuid[]) AND erased_at IS NOT NULL",
        ids,
    )
    return {row["id"] for row in rows}


async def test_each_applicant_is_erased_when_their_period_ends_and_only_once(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(
        starts_on="2025-09-01",
        ends_on=ENDS_ON.isoformat(),
        retention={"selected_days": 30, "not_selected_days": 10},
    )
    selected, rejected = [
        (await submit(api, submission(cohort, n)))["application_id"] for n in (1, 2)
    ]
    ineligible = (await submit(api, submission(cohort, 3, answers={})))["application_id"]
    decided = await api.post(
        "/applications/decisions",
        json={
            "reason": "Committee",
            "decisions": [
                {"application_id": selected, "outcome": "accepted", "rank": 1},
                {"application_id": rejected, "outcome": "rejected"},
            ],
        },
        headers=bearer(ADMIN),
    )
    assert decided.status_code == 200, decided.text
    ours = [selected, rejected, ineligible]

    await erase_expired(applications_pool, day_after_end(10))  # the 10th day is still kept
    assert await erased(applications_pool, ours) == set()

    while await erase_expired(applications_pool, day_after_end(11)):
        pass
    assert await erased(applications_pool, ours) == {rejected, ineligible}

    while await erase_expired(applications_pool, day_after_end(30)):
        pass
    assert await erased(applications_pool, ours) == {rejected, ineligible}
    while await erase_expired(applications_pool, day_after_end(31)):
        pass
    assert await erased(applications_pool, ours) == set(ours)
    assert await erase_expired(applications_pool, day_after_end(400)) == 0  # nothing twice

    # Exactly as an erasure: the same anonymisation here, and the other services asked.
    shown = (await api.get(f"/applications/{selected}", headers=bearer(ADMIN))).json()
    assert shown["startup_name"] == "(erased)"
    assert shown["status"] == "accepted"
    rows = await applications_pool.fetch(
        "SELECT convert_from(value, 'UTF8')::jsonb -> 'data' AS data FROM outbox"
        " WHERE event_type LIKE '%person.erased%'"
    )
    asked = [r["data"] for r in rows if r["data"]["requested_by"] == RETENTION_REQUESTER]
    for application_id in ours:
        assert sum(application_id in d["application_ids"] for d in asked) == 1


async def test_a_cohort_without_an_end_keeps_its_applicants(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(retention={"selected_days": 1, "not_selected_days": 1})
    kept = (await submit(api, submission(cohort, uuid.uuid4().int % 1000)))["application_id"]
    await erase_expired(applications_pool, datetime.now(UTC) + timedelta(days=3650))
    assert await erased(applications_pool, [kept]) == set()
