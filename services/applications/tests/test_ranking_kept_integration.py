"""The ranking kept between reads (issue 16: pages of a 10,000-application ranking under 50 ms)
is always the ranking computed afresh: after any sequence of score changes, conflicts,
challenges and bonus grants — each of which may move others' calibrated scores — the kept
answer equals a fresh computation, and an unchanged cohort is not computed again."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_applications.adapters import catalog_replica
from aihub_applications.service_layer.loaders import cohort_managed_by
from aihub_applications.service_layer.ranking import cohort_ranking, computed_ranking
from aihub_local.testing import valid_brn
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.db import create_pool

pytestmark = pytest.mark.integration

ADMIN = StaffPrincipal("ranking-admin@hub.example", "Admin", Role.ADMIN)
STAGE = "document-review"
APPLICATIONS, REVIEWERS = 5, 4

Change = tuple[str, int, int, int]  # (kind, application, reviewer, score)

changes = st.lists(
    st.tuples(
        st.sampled_from(["score", "score", "score", "unscore", "conflict", "challenge", "bonus"]),
        st.integers(0, APPLICATIONS - 1),
        st.integers(0, REVIEWERS - 1),
        st.integers(0, 100),
    ),
    min_size=1,
    max_size=12,
)


def cohort() -> CohortPublished:
    now = datetime.now(UTC)
    return CohortPublished.model_validate(
        {
            "program_code": "ranking-kept",
            "program_name_ko": "순위",
            "program_name_en": "Ranking",
            "cohort_code": f"rk-{uuid.uuid4().hex[:10]}",
            "seats": 2,
            "application_opens_at": (now - timedelta(days=1)).isoformat(),
            "application_closes_at": (now + timedelta(days=1)).isoformat(),
            "review_stages": [
                {
                    "code": STAGE,
                    "name_ko": "서류평가",
                    "name_en": "Document review",
                    "weight": 100,
                    "criteria": [
                        {"code": "technology", "name_ko": "기술", "name_en": "Tech", "weight": 60},
                        {"code": "market", "name_ko": "시장", "name_en": "Market", "weight": 40},
                    ],
                    "min_reviewers": 2,
                    "trim_extremes_from": 3,
                    "calibration": "z-score",
                    "cutoff_score": 30,
                }
            ],
            "bonus_items": [{"code": "youth", "name_ko": "청년", "name_en": "Youth", "points": 2}],
        }
    )


async def seeded(pool: asyncpg.Pool) -> tuple[str, list[uuid.UUID]]:
    """A cohort of applications, each assigned to every reviewer, nothing scored yet."""
    published = cohort()
    code = published.cohort_code
    ids = [uuid.uuid4() for _ in range(APPLICATIONS)]
    async with pool.acquire() as conn:
        await catalog_replica.replicate_cohort(conn, published, datetime.now(UTC))
        await conn.executemany(
            "INSERT INTO applications (id, submitted_by, submission_id, content_hash,"
            " program_code, cohort_code, startup_name, business_registration_number,"
            " submission, status, stage_code, created_at)"
            " VALUES ($1, '/test', $2, 'x', 'ranking-kept', $3, $4, $5, '{}', 'received',"
            " $6, $7)",
            [
                (
                    a,
                    f"{code}-{n}",
                    code,
                    f"Startup {n}",
                    valid_brn(300_000_000 + n),
                    STAGE,
                    datetime.now(UTC) - timedelta(minutes=n % 2),
                )  # two arrival times: ties
                for n, a in enumerate(ids)
            ],
        )
        await conn.executemany(
            "INSERT INTO review_assignments (application_id, stage_code, reviewer_id,"
            " reviewer_name, assigned_by) VALUES ($1, $2, $3, $3, 'test')",
            [(a, STAGE, f"r{r}@hub.example") for a in ids for r in range(REVIEWERS)],
        )
    return code, ids


_ASSIGNMENT_CHANGES = {
    "score": "UPDATE review_assignments SET scores = $4::text::jsonb, scored_at = now()"
    " WHERE application_id = $1 AND stage_code = $2 AND reviewer_id = $3",
    "unscore": "UPDATE review_assignments SET scores = NULL, comment = $4::text"
    " WHERE application_id = $1 AND stage_code = $2 AND reviewer_id = $3",
    "conflict": "UPDATE review_assignments SET conflict_reason = $4::text"
    " WHERE application_id = $1 AND stage_code = $2 AND reviewer_id = $3",
    "challenge": "INSERT INTO review_challenges (id, application_id, stage_code, reviewer_id,"
    " reason, filed_by) VALUES (gen_random_uuid(), $1, $2, $3, $4, 'test')"
    " ON CONFLICT DO NOTHING",
}


async def change(pool: asyncpg.Pool, ids: list[uuid.UUID], step: Change) -> None:
    kind, n, r, score = step
    if kind == "bonus":
        await pool.execute(
            "INSERT INTO bonus_grants (application_id, item_code, reason, granted_by)"
            " VALUES ($1, 'youth', 'under 39', 'test') ON CONFLICT DO NOTHING",
            ids[n],
        )
        return
    value = {
        "score": json.dumps({"technology": score, "market": 100 - score // 2}),
        "unscore": None,
        "conflict": "co-founder",
        "challenge": "bias",
    }[kind]
    await pool.execute(_ASSIGNMENT_CHANGES[kind], ids[n], STAGE, f"r{r}@hub.example", value)


async def fresh(pool: asyncpg.Pool, code: str) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        review = await cohort_managed_by(conn, code, ADMIN)
        return [e.shown() for e in await computed_ranking(conn, review)]


async def kept_equals_fresh(dsn: str, steps: list[Change]) -> None:
    pool = await create_pool(dsn, max_size=2)
    try:
        code, ids = await seeded(pool)
        _, first = await cohort_ranking(pool, code, staff=ADMIN)
        for step in steps:
            await change(pool, ids, step)
            _, now = await cohort_ranking(pool, code, staff=ADMIN)
            assert [e.shown() for e in now] == await fresh(pool, code), (step, steps)
            _, again = await cohort_ranking(pool, code, staff=ADMIN)
            assert again is now  # nothing changed since: kept, not computed again
        assert len(first) == APPLICATIONS
    finally:
        await pool.close()


@settings(max_examples=25, deadline=None)
@given(steps=changes)
def test_the_kept_ranking_is_the_fresh_one_after_any_changes(
    applications_dsn: str, applications_pool: asyncpg.Pool, steps: list[Change]
) -> None:
    # Each example on a loop of its own: Hypothesis drives a plain function.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(kept_equals_fresh(applications_dsn, steps))
    finally:
        loop.close()
