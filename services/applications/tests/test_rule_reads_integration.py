"""The cohort's list of appeals (이의제기) that the console shows, on the real Postgres: each
with its startup's name and the disclosure its applicant asked for (the same as the
application's own appeals answer), filtered by status as they are decided."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.applications.tests.support import MANAGER, CohortFactory, bearer
from services.applications.tests.test_appeals_integration import (
    APPEAL,
    _cohort_in_presentation,
    _post,
)

pytestmark = pytest.mark.integration


async def test_the_cohort_lists_its_appeals_with_the_disclosure_asked_for(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    code, _, weak = await _cohort_in_presentation(api, make_cohort)
    filed = await _post(api, f"/applications/{weak}/appeals", APPEAL)
    assert filed.status_code == 200, filed.text

    async def listed(status: str | None = None) -> list[dict[str, Any]]:
        params = {"status": status} if status else None
        answer = await api.get(f"/cohorts/{code}/appeals", params=params, headers=bearer(MANAGER))
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    own = (await api.get(f"/applications/{weak}/appeals", headers=bearer(MANAGER))).json()
    [line] = await listed("open")
    assert line["startup_name"] == "Startup 2"
    assert {k: v for k, v in line.items() if k != "startup_name"} == own["appeals"][0]
    assert line["disclosure"]["stage_score"] == 55.0  # as the appeal's own answer says
    assert await listed("dismissed") == []

    decided = await _post(
        api, f"/appeals/{line['appeal_id']}/decision", {"outcome": "dismissed", "reason": "검토함"}
    )
    assert decided.status_code == 200, decided.text
    assert await listed("open") == []
    assert [a["status"] for a in await listed()] == ["dismissed"]
