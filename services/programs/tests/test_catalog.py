"""The hub's own catalog: its real programs, publishable as they are, and seeding that only
announces what changed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import pytest
from pydantic import ValidationError

from aihub_local.testing import eventually
from aihub_programs.domain.catalog import CatalogSeed, CohortSpec
from aihub_programs.service_layer.catalog import (
    apply_catalog,
    create_cohort,
    load_seed,
    republish_all,
    update_cohort,
    update_program,
)
from aihub_shared.runtime.db import DbConnection
from services.programs.tests.conftest import (
    PROGRAM,
    cohort_spec,
    make_cohort,
    program_spec,
    queued,
)

Change = Callable[[DbConnection], Awaitable[None]]


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


def test_a_catalog_listing_a_program_or_cohort_twice_is_refused() -> None:
    program = program_spec(cohorts=[cohort_spec("cv-2027-1")]).model_dump()
    other = {**program_spec("other").model_dump(), "cohorts": program["cohorts"]}
    with pytest.raises(ValidationError, match="program codes must be unique"):
        CatalogSeed.model_validate({"programs": [program, program]})
    with pytest.raises(ValidationError, match="cohort codes must be unique across"):
        CatalogSeed.model_validate({"programs": [program, other]})


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
    assert all(e["data"] == by_key[e["key"]] for e in published[len(first) :])


async def _while_uncommitted(db: asyncpg.Pool, first: Change, second: Change) -> None:
    """Run `first` up to its commit, start `second`, and commit `first` once `second` has either
    finished (it overtook) or waits for a lock."""
    async with db.acquire() as first_conn:
        transaction = first_conn.transaction()
        await transaction.start()
        await first(first_conn)

        async def run_second() -> None:
            async with db.acquire() as conn, conn.transaction():
                await second(conn)

        task = asyncio.create_task(run_second())

        async def overtook_or_waits() -> bool:
            waiting = await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            return task.done() or waiting > 0

        await eventually(overtook_or_waits, what="the second change to finish or wait for a lock")
        await transaction.commit()
        await asyncio.wait_for(task, timeout=10)


def _rename(name: str) -> Change:
    async def rename(conn: DbConnection) -> None:
        await update_program(conn, PROGRAM, program_spec().model_copy(update={"name_en": name}))

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

    async def change_seats(conn: DbConnection) -> None:
        await update_cohort(conn, "cv-2027-1", seats(5))

    async def add_cohort(conn: DbConnection) -> None:
        await create_cohort(conn, PROGRAM, "cv-2027-2", cohort_spec("cv-2027-2"))

    async def three_seats(conn: DbConnection) -> None:
        await update_cohort(conn, "cv-2027-1", seats(3))

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
