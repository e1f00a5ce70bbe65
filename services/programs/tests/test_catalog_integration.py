"""The catalog on the real Postgres: seeding that only announces what changed, concurrent changes
whose last event carries both, and commands that never deadlock with a consumer batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime

import asyncpg
import pytest

from aihub_local.testing import eventually
from aihub_programs.domain.catalog import CatalogSeed, CohortSpec
from aihub_programs.service_layer.catalog import create_cohort, update_cohort, update_program
from aihub_programs.service_layer.seeding import apply_catalog, load_seed, republish_all
from services.programs.tests.support import (
    ADMIN_STAFF,
    PROGRAM,
    CommitHeld,
    cohort_spec,
    make_cohort,
    program_spec,
    queued,
)

Change = Callable[[asyncpg.Pool], Coroutine[object, object, None]]


@pytest.mark.integration
async def test_seeding_publishes_each_cohort_once_and_then_only_changes(
    db: asyncpg.Pool,
) -> None:
    seed = load_seed()
    first = await apply_catalog(db, seed)
    again = await apply_catalog(db, seed)
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
    snapshot = await republish_all(db)
    assert sorted(snapshot) == sorted(first)
    published = [e for e in await queued(db) if e["name"] == "cohort.published"]
    assert len(published) == 2 * len(first)
    by_key = {e["key"]: e["data"] for e in published[: len(first)]}
    # ...marked as a snapshot, which replicas take over any state they hold.
    assert all(e["data"] == {**by_key[e["key"]], "snapshot": True} for e in published[len(first) :])
    assert not any(data.get("snapshot") for data in by_key.values())


async def _while_uncommitted(db: asyncpg.Pool, first: Change, second: Change) -> None:
    """Run `first` up to its commit, start `second`, and commit `first` once `second` has either
    finished (it overtook) or waits for a lock."""
    held = CommitHeld(db)
    first_task = asyncio.create_task(first(held.pool))

    async def first_done_its_work() -> bool:
        return held.reached.is_set() or first_task.done()

    await eventually(first_done_its_work, what="the first change to reach its commit")
    assert not first_task.done(), first_task.result()
    task = asyncio.create_task(second(db))

    async def overtook_or_waits() -> bool:
        waiting = await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        return task.done() or waiting > 0

    await eventually(overtook_or_waits, what="the second change to finish or wait for a lock")
    held.release()
    await asyncio.wait_for(first_task, timeout=10)
    await asyncio.wait_for(task, timeout=10)


def _rename(name: str) -> Change:
    async def rename(pool: asyncpg.Pool) -> None:
        await update_program(pool, PROGRAM, program_spec().model_copy(update={"name_en": name}))

    return rename


@pytest.mark.integration
async def test_the_last_catalog_event_carries_both_of_two_concurrent_changes(
    db: asyncpg.Pool,
) -> None:
    """A program renamed while another transaction changes one of its cohorts, or adds one:
    whichever commits second publishes last, and what it publishes must include the first one's
    change (a replica keeps only the last event of each cohort)."""
    await make_cohort(db, seats=2)

    opens, closes = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)

    def seats(count: int) -> CohortSpec:  # the same window each time: only the seats differ
        return cohort_spec(seats=count, application_opens_at=opens, application_closes_at=closes)

    async def change_seats(pool: asyncpg.Pool) -> None:
        await update_cohort(pool, "cv-2027-1", seats(5), staff=ADMIN_STAFF)

    async def add_cohort(pool: asyncpg.Pool) -> None:
        await create_cohort(pool, PROGRAM, cohort_spec("cv-2027-2"), staff=ADMIN_STAFF)

    async def three_seats(pool: asyncpg.Pool) -> None:
        await update_cohort(pool, "cv-2027-1", seats(3), staff=ADMIN_STAFF)

    await _while_uncommitted(db, _rename("Renamed batch"), change_seats)
    await _while_uncommitted(db, add_cohort, _rename("Renamed again"))
    # Five seats again while the change to three commits: a change (back), published last.
    await _while_uncommitted(db, three_seats, change_seats)
    last = {e["key"]: e["data"] for e in await queued(db) if e["name"] == "cohort.published"}
    assert (last["cv-2027-1"]["program_name_en"], last["cv-2027-1"]["seats"]) == (
        "Renamed again",
        5,
    )
    assert last["cv-2027-2"]["program_name_en"] == "Renamed again"


@pytest.mark.integration
@pytest.mark.parametrize("command", ["republish", "seed"])
async def test_seed_and_republish_never_deadlock_with_a_batch_holding_several_cohorts(
    db: asyncpg.Pool, command: str
) -> None:
    """A consumer batch takes its cohorts' locks in event order, which no other path can
    follow. Here a batch holds cv-2027-2 and, once the command waits for it, asks for
    cv-2027-1: a command holding cv-2027-1 meanwhile (all its cohorts in one transaction, in
    any order) would make Postgres abort one of the two as a deadlock."""
    await make_cohort(db, "cv-2027-1")
    await make_cohort(db, "cv-2027-2")
    bigger = CatalogSeed(
        programs=[program_spec(cohorts=[cohort_spec("cv-2027-1", 3), cohort_spec("cv-2027-2", 3)])]
    )
    async with db.acquire() as batch:
        transaction = batch.transaction()
        await transaction.start()
        await batch.execute("SELECT 1 FROM cohorts WHERE code = 'cv-2027-2' FOR UPDATE")
        run = republish_all(db) if command == "republish" else apply_catalog(db, bigger)
        task = asyncio.create_task(run)

        async def waits_for_the_batch() -> bool:
            waiting = await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            return bool(waiting)

        await eventually(waits_for_the_batch, what="the command to wait for the batch's lock")
        # The batch's next event: its cohort is free, the command having committed it alone.
        await batch.execute("SET LOCAL lock_timeout = '10s'")
        await batch.execute("SELECT 1 FROM cohorts WHERE code = 'cv-2027-1' FOR UPDATE")
        await transaction.commit()
    published = await asyncio.wait_for(task, timeout=10)
    assert sorted(published) == ["cv-2027-1", "cv-2027-2"]
    if command == "seed":
        assert await db.fetchval("SELECT array_agg(seats ORDER BY code) FROM cohorts") == [3, 3]


@pytest.mark.integration
async def test_selection_rules_and_bonus_items_reach_cohort_published(db: asyncpg.Pool) -> None:
    await make_cohort(db)
    stages = [
        {**stage, "trim_extremes_from": 5, "calibration": "z-score", "cutoff_score": 60}
        for stage in (s.model_dump(mode="json") for s in cohort_spec().review_stages)
    ]
    stages[0]["criteria"][0]["cutoff"] = 40
    bonus = [
        {"code": "women-owned", "name_ko": "여성 기업", "name_en": "Women-owned", "points": 1},
        # Derived from the declared answer to the cohort's question `why_now`.
        {
            "code": "pilot-done",
            "name_ko": "실증 완료",
            "name_en": "Pilot done",
            "points": 0.5,
            "answer_key": "why_now",
            "answer_value": "pilots finished",
        },
    ]
    question = {"key": "why_now", "label_ko": "왜 지금?", "label_en": "Why now?"}
    spec = cohort_spec(review_stages=stages, bonus_items=bonus, bonus_cap=2, questions=[question])
    await update_cohort(db, "cv-2027-1", spec, staff=ADMIN_STAFF)
    last = [e["data"] for e in await queued(db) if e["key"] == "cv-2027-1"][-1]
    assert last["bonus_items"] == [
        {**bonus[0], "points": 1.0, "answer_key": None, "answer_value": None},
        bonus[1],
    ]
    assert last["bonus_cap"] == 2.0
    assert [s["trim_extremes_from"] for s in last["review_stages"]] == [5, 5]
    assert last["review_stages"][0]["criteria"][0]["cutoff"] == 40.0
    assert last["review_stages"][1]["calibration"] == "z-score"
