"""The counts and the waitlist head a seat decision reads instead of the cohort (migration 0004),
on the real Postgres: the counts follow every write of an enrollment, and a waitlisting deep in
a long waitlist reports the place the cohort's list shows."""

from __future__ import annotations

import random

import asyncpg
import pytest

from aihub_programs.adapters import enrollments as enrollments_db
from aihub_programs.service_layer import enrollment
from services.programs.tests.support import (
    ADMIN_STAFF,
    accept,
    make_cohort,
    queued,
    withdraw,
)

pytestmark = pytest.mark.integration

COHORT = "cv-2027-1"


async def counts(db: asyncpg.Pool) -> tuple[tuple[int, int], tuple[int, int]]:
    """(kept on the cohort row, counted from the enrollments)."""
    kept = await db.fetchrow("SELECT seats_taken, waitlisted FROM cohorts WHERE code = $1", COHORT)
    counted = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'confirmed') AS confirmed,"
        " count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted"
        " FROM enrollments WHERE cohort_code = $1",
        COHORT,
    )
    assert kept is not None
    assert counted is not None
    return (kept[0], kept[1]), (counted[0], counted[1])


async def test_waitlisted_places_agree_with_the_cohort_list_however_ranks_arrive(
    db: asyncpg.Pool,
) -> None:
    await make_cohort(db, seats=3)
    shuffled = random.Random(16)  # noqa: S311 - an arrival order, not a secret
    ranks: list[int | None] = [*range(1, 40), None, None, None]
    shuffled.shuffle(ranks)
    for n, rank in enumerate(ranks):
        await accept(db, f"app-{n}", rank=rank)
        waitlisted = [e for e in await queued(db) if e["name"] == "enrollment.waitlisted"]
        if n < 3:
            continue
        said = waitlisted[-1]["data"]
        async with db.acquire() as conn:
            listed, _ = await enrollments_db.cohort_enrollments(
                conn, COHORT, "waitlisted", limit=1000, offset=0
            )
        place = {row["application_id"]: row["waitlist_position"] for row in listed}
        assert said["waitlist_position"] == place[said["application_id"]]
    kept, counted = await counts(db)
    assert kept == counted == (3, len(ranks) - 3)


async def test_counts_follow_releases_promotions_and_writes_by_hand(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=2)
    for n, rank in enumerate([4, 1, None, 2, 3]):
        await accept(db, f"app-{n}", rank=rank)
    await withdraw(db, "app-0")  # a seat freed: the best waiting (rank 2) is promoted
    await withdraw(db, "app-2")  # an unranked waiting startup leaves
    await withdraw(db, "never-accepted")  # a tombstone counts nowhere
    await enrollment.cancel_enrollment(db, "app-1", reason="left", staff=ADMIN_STAFF)
    kept, counted = await counts(db)
    assert kept == counted == (2, 0)
    # A repair by hand (or an erasure job) keeps them too.
    await db.execute("DELETE FROM enrollments WHERE application_id = 'app-3'")
    kept, counted = await counts(db)
    assert kept == counted == (1, 0)


async def test_counts_follow_statements_that_write_many_rows_of_two_cohorts(
    db: asyncpg.Pool,
) -> None:
    """The counts are kept per statement (migration 0009): by the net change of its rows."""
    await make_cohort(db, seats=2)
    await make_cohort(db, "cv-2027-2", seats=1)
    for n, rank in enumerate([1, 2, 3, 4]):
        await accept(db, f"app-{n}", rank=rank)
    await accept(db, "other-0", rank=1, cohort="cv-2027-2")
    await accept(db, "other-1", rank=2, cohort="cv-2027-2")

    async def both() -> list[tuple[int, int, int, int]]:
        rows = await db.fetch(
            "SELECT c.seats_taken, c.waitlisted,"
            " count(*) FILTER (WHERE e.status = 'confirmed'),"
            " count(*) FILTER (WHERE e.status = 'waitlisted')"
            " FROM cohorts c LEFT JOIN enrollments e ON e.cohort_code = c.code"
            " GROUP BY c.code ORDER BY c.code"
        )
        return [tuple(r) for r in rows]

    assert await both() == [(2, 2, 2, 2), (1, 1, 1, 1)]
    # By hand, one statement each: statuses swapped across both cohorts, a row moved to the
    # other cohort, a write of no status, then a delete of rows of both.
    await db.execute(
        "UPDATE enrollments SET status = CASE status WHEN 'confirmed' THEN 'waitlisted'"
        " ELSE 'confirmed' END WHERE application_id IN ('app-0', 'app-2', 'other-1')"
    )
    assert await both() == [(2, 2, 2, 2), (2, 0, 2, 0)]
    await db.execute(
        "UPDATE enrollments SET cohort_code = 'cv-2027-2' WHERE application_id = 'app-3'"
    )
    assert await both() == [(2, 1, 2, 1), (2, 1, 2, 1)]
    await db.execute("UPDATE enrollments SET startup_name = 'renamed'")
    assert await both() == [(2, 1, 2, 1), (2, 1, 2, 1)]
    await db.execute("DELETE FROM enrollments WHERE application_id IN ('app-1', 'other-0')")
    assert await both() == [(1, 1, 1, 1), (1, 1, 1, 1)]
