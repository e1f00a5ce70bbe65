"""Inbox claims are pruned once no topic can redeliver their message (issue 15: retention)."""

from __future__ import annotations

import asyncpg
import pytest

from aihub_shared.runtime import inbox

pytestmark = pytest.mark.integration


async def test_claims_older_than_the_retention_go_and_the_rest_still_guard(
    kit_pool: asyncpg.Pool, run_id: str
) -> None:
    async with kit_pool.acquire() as conn:
        assert await inbox.claim(conn, "c", f"{run_id}|old", "done")
        assert await inbox.claim(conn, "c", f"{run_id}|recent", "done")
        await conn.execute(
            "UPDATE inbox SET processed_at = now() - interval '36 days' WHERE message_key = $1",
            f"{run_id}|old",
        )
        assert await inbox.prune(conn, 35) == 1
        assert not await inbox.claim(conn, "c", f"{run_id}|recent", "done")  # still a duplicate
        keys = await conn.fetch("SELECT message_key FROM inbox")
    assert [k["message_key"] for k in keys] == [f"{run_id}|recent"]
