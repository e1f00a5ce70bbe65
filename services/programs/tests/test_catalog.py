"""The hub's own catalog: its real programs, publishable as they are, and seeding that only
announces what changed."""

from __future__ import annotations

import asyncpg
import pytest

from aihub_programs.service_layer.catalog import apply_catalog, load_seed, republish_all
from services.programs.tests.conftest import queued


def test_the_hub_catalog_holds_its_real_programs() -> None:
    seed = load_seed()
    by_code = {p.code: p for p in seed.programs}
    assert set(by_code) == {"growth-residency", "cyber-valley-batch", "membership", "ai-education"}
    # Four spaces in the anchor facility: three already taken, one filled by open recruitment.
    assert by_code["growth-residency"].cohorts[0].seats == 4
    assert "four spaces" in by_code["growth-residency"].description_en
    assert by_code["cyber-valley-batch"].partner == "Cyber Valley"
    for program in seed.programs:
        assert program.description_ko
        assert program.description_en
        for cohort in program.cohorts:
            assert cohort.questions
            assert sum(stage.weight for stage in cohort.review_stages) == 100


@pytest.mark.integration
async def test_seeding_publishes_each_cohort_once_and_then_only_changes(
    db: asyncpg.Pool,
) -> None:
    seed = load_seed()
    async with db.acquire() as conn, conn.transaction():
        first = await apply_catalog(conn, seed)
    async with db.acquire() as conn, conn.transaction():
        again = await apply_catalog(conn, seed)
    assert sorted(first) == sorted(c.code for p in seed.programs for c in p.cohorts)
    assert again == []
    events = await queued(db)
    residency = next(e for e in events if e["key"] == "growth-residency-2027")["data"]
    assert residency["program_name_ko"] == "성장기업 입주 프로그램"
    assert residency["seats"] == 4
    assert residency["agreement_due_days"] == 14
    assert [s["code"] for s in residency["review_stages"]] == [
        "document-review",
        "presentation-review",
    ]
    assert residency["questions"][0]["key"] == "team_size_on_move_in"

    # A snapshot re-announces every cohort as it is, changed or not.
    async with db.acquire() as conn, conn.transaction():
        snapshot = await republish_all(conn)
    assert sorted(snapshot) == sorted(first)
    published = [e for e in await queued(db) if e["name"] == "cohort.published"]
    assert len(published) == 2 * len(first)
    by_key = {e["key"]: e["data"] for e in published[: len(first)]}
    assert all(e["data"] == by_key[e["key"]] for e in published[len(first) :])
