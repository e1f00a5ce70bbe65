"""An erasure deletes the published outbox rows that name the person, whatever bytes the other
rows hold (a dead letter keeps a publisher's raw bytes, NUL and invalid UTF-8 included)."""

from __future__ import annotations

import asyncpg
import pytest

from aihub_shared.privacy import forget_published_events

pytestmark = pytest.mark.integration


async def test_only_published_rows_naming_the_person_go(
    kit_pool: asyncpg.Pool, run_id: str
) -> None:
    rows = [
        (f'{{"contact": "Kim.{run_id}@Startup.example"}}'.encode(), True),  # as submitted
        (f'{{"application_id": "app-{run_id}"}}'.encode(), True),
        (f'{{"application_id": "app-{run_id}"}}'.encode(), False),  # not published yet: stays
        (b"\x00\xff\xfe hostile bytes of a dead letter", True),
        (b'{"application_id": "someone-else"}', True),
    ]
    async with kit_pool.acquire() as conn:
        for value, published in rows:
            await conn.execute(
                "INSERT INTO outbox (topic, key, value, published_at)"
                " VALUES ('t', 'k', $1, CASE WHEN $2 THEN now() END)",
                value,
                published,
            )
        mentions = [f"kim.{run_id}@startup.example", f"app-{run_id}"]
        assert await forget_published_events(conn, mentions) == 1  # the application's row
        assert await forget_published_events(conn, [f"Kim.{run_id}@Startup.example"]) == 1
        left = await conn.fetch("SELECT value, published_at IS NOT NULL AS p FROM outbox")
    assert sorted((bytes(r["value"]), r["p"]) for r in left) == sorted(
        [(rows[2][0], False), (rows[3][0], True), (rows[4][0], True)]
    )
