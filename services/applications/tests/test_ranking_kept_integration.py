"""The ranking and the closing previews kept between reads (issue 16: pages of a 10,000-application
ranking under 50 ms) are always the ones computed afresh: after any sequence of score changes,
conflicts, challenges, bonus grants and external marks — each of which may move others'
calibrated scores, or make a preview refused — the kept answer equals a fresh computation by the
one rule (the plans of `advancing.py` and `selection.py`, as the advance and the selection apply
them), and an unchanged cohort is not computed again."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_applications.adapters import catalog_replica
from aihub_applications.domain import review as rules
from aihub_applications.domain.application import Application
from aihub_applications.domain.status import RuleBroken
from aihub_applications.service_layer import advancing, selection
from aihub_applications.service_layer.loaders import cohort_managed_by
from aihub_applications.service_layer.ranking import cohort_ranking, computed_ranking
from aihub_local.testing import valid_brn
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.db import create_pool

pytestmark = pytest.mark.integration

ADMIN = StaffPrincipal("ranking-admin@hub.example", "Admin", Role.ADMIN)
STAGE, NEXT = "document-review", "presentation"
APPLICATIONS, REVIEWERS = 5, 4

Change = tuple[str, int, int, int]  # (kind, application, reviewer, score)

changes = st.lists(
    st.tuples(
        st.sampled_from(
            ["score", "score", "score", "unscore", "conflict", "challenge", "bonus", "external"]
        ),
        st.integers(0, APPLICATIONS - 1),
        st.integers(0, REVIEWERS - 1),
        st.integers(0, 100),
    ),
    min_size=1,
    max_size=12,
)


def stage(code: str, weight: int, **rules: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_ko": code,
        "name_en": code,
        "weight": weight,
        "criteria": [
            {"code": "technology", "name_ko": "기술", "name_en": "Tech", "weight": 60},
            {"code": "market", "name_ko": "시장", "name_en": "Market", "weight": 40},
        ],
        "min_reviewers": 2,
        **rules,
    }


def cohort(*, two_stages: bool = False) -> CohortPublished:
    now = datetime.now(UTC)
    first = stage(
        STAGE,
        50 if two_stages else 100,
        trim_extremes_from=3,
        calibration="z-score",
        cutoff_score=30,
        pass_threshold=60,
        min_external_share=0.25,
    )
    stages = [first, stage(NEXT, 50)] if two_stages else [first]
    return CohortPublished.model_validate(
        {
            "program_code": "ranking-kept",
            "program_name_ko": "순위",
            "program_name_en": "Ranking",
            "cohort_code": f"rk-{uuid.uuid4().hex[:10]}",
            "seats": 2,
            "application_opens_at": (now - timedelta(days=1)).isoformat(),
            "application_closes_at": (now + timedelta(days=1)).isoformat(),
            "review_stages": stages,
            "bonus_items": [{"code": "youth", "name_ko": "청년", "name_en": "Youth", "points": 2}],
        }
    )


async def seeded(pool: asyncpg.Pool, *, two_stages: bool = False) -> tuple[str, list[uuid.UUID]]:
    """A cohort of applications, each assigned to every reviewer, nothing scored yet."""
    published = cohort(two_stages=two_stages)
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
    if kind == "external":
        await pool.execute(
            "INSERT INTO stage_reviewers (cohort_code, stage_code, reviewer_id, reviewer_name,"
            " added_by, external) SELECT cohort_code, $2, $3, $3, 'test', true"
            " FROM applications WHERE id = $1"
            " ON CONFLICT (cohort_code, stage_code, reviewer_id) DO UPDATE SET external = true",
            ids[n],
            STAGE,
            f"r{r}@hub.example",
        )
        return
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


Preview = list[tuple[str, bool, float, str, int | None]] | tuple[str | None, str]


def shown(decided: list[tuple[rules.Outcome, Application]]) -> Preview:
    return [(o.application_id, o.passed, o.score, o.reason, o.rank) for o, _ in decided]


async def answer(
    preview: Callable[[], Awaitable[list[tuple[rules.Outcome, Application]]]],
) -> Preview:
    """The preview's lines, or its refusal (code, reason)."""
    try:
        return shown(await preview())
    except RuleBroken as refused:
        return (refused.code, str(refused))


async def fresh_previews(pool: asyncpg.Pool, code: str) -> tuple[Preview, Preview]:
    """The advance's and the selection's plans computed now, as the real advance and selection
    compute them (without taking their locks)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        review = await cohort_managed_by(conn, code, ADMIN)

        async def advance() -> list[tuple[rules.Outcome, Application]]:
            return (await advancing._plan_advance(conn, review, STAGE, lock=False)).decided()

        async def select() -> list[tuple[rules.Outcome, Application]]:
            return (await selection._plan_selection(conn, review, None, lock=False)).decided()

        return await answer(advance), await answer(select)


async def kept_previews(pool: asyncpg.Pool, code: str) -> tuple[Preview, Preview]:
    return (
        await answer(lambda: advancing.preview_advance(pool, code, STAGE, staff=ADMIN)),
        await answer(lambda: selection.preview_selection(pool, code, reserve=None, staff=ADMIN)),
    )


async def kept_equals_fresh(dsn: str, steps: list[Change], *, two_stages: bool) -> None:
    pool = await create_pool(dsn, max_size=2)
    try:
        code, ids = await seeded(pool, two_stages=two_stages)
        _, first = await cohort_ranking(pool, code, staff=ADMIN)
        for step in steps:
            await change(pool, ids, step)
            _, now = await cohort_ranking(pool, code, staff=ADMIN)
            assert [e.shown() for e in now] == await fresh(pool, code), (step, steps)
            _, again = await cohort_ranking(pool, code, staff=ADMIN)
            assert again is now  # nothing changed since: kept, not computed again
            assert await kept_previews(pool, code) == await fresh_previews(pool, code), step
        assert len(first) == APPLICATIONS
    finally:
        await pool.close()


@settings(max_examples=25, deadline=None)
@given(steps=changes, two_stages=st.booleans())
def test_the_kept_ranking_and_previews_are_the_fresh_ones_after_any_changes(
    applications_dsn: str, applications_pool: asyncpg.Pool, steps: list[Change], two_stages: bool
) -> None:
    # Each example on a loop of its own: Hypothesis drives a plain function.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(kept_equals_fresh(applications_dsn, steps, two_stages=two_stages))
    finally:
        loop.close()


async def test_a_kept_preview_is_read_again_without_computing_and_in_pages(
    applications_pool: asyncpg.Pool,
) -> None:
    """The kept preview is the same list until an input changes; a change is seen at once."""
    code, ids = await seeded(applications_pool, two_stages=True)
    for n in range(APPLICATIONS):
        for r in range(REVIEWERS):
            await change(applications_pool, ids, ("score", n, r, 40 + 10 * n))
    await change(applications_pool, ids, ("external", 0, 0, 0))
    first = await advancing.preview_advance(applications_pool, code, STAGE, staff=ADMIN)
    again = await advancing.preview_advance(applications_pool, code, STAGE, staff=ADMIN)
    assert again is first
    assert len(first) == APPLICATIONS
    await change(applications_pool, ids, ("score", 0, 0, 100))
    changed = await advancing.preview_advance(applications_pool, code, STAGE, staff=ADMIN)
    assert changed is not first
    assert shown(changed) == (await fresh_previews(applications_pool, code))[0]
