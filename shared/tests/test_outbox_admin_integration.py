"""`aihub-outbox`: ops see set-aside rows and settle them; rows the relay owns are never touched."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from aihub_shared.runtime.outbox_admin import app, drop_set_aside, list_set_aside, retry_set_aside

pytestmark = pytest.mark.integration


async def add_row(pool: asyncpg.Pool, *, set_aside: bool, published: bool = False) -> int:
    row_id: int = await pool.fetchval(
        "INSERT INTO outbox (topic, key, value, event_id, event_type, failed_at, failed_reason,"
        " published_at) VALUES ('applications.lifecycle', 'k', $1, 'e', 't',"
        " CASE WHEN $2 THEN now() END, CASE WHEN $2 THEN 'MessageSizeTooLargeError()' END,"
        " CASE WHEN $3 THEN now() END) RETURNING id",
        b"x" * 300,
        set_aside,
        published,
    )
    return row_id


async def test_retry_hands_back_only_set_aside_rows(kit_pool: asyncpg.Pool) -> None:
    aside = await add_row(kit_pool, set_aside=True)
    pending = await add_row(kit_pool, set_aside=False)
    async with kit_pool.acquire() as conn:
        listed = await list_set_aside(conn)
        assert [(r.id, r.size, r.failed_reason) for r in listed] == [
            (aside, 300, "MessageSizeTooLargeError()")
        ]
        assert await retry_set_aside(conn, [aside, pending]) == [aside]
        assert await list_set_aside(conn) == []
    unpublished = await kit_pool.fetch(
        "SELECT id FROM outbox WHERE published_at IS NULL AND failed_at IS NULL ORDER BY id"
    )
    assert [r["id"] for r in unpublished] == [aside, pending]


async def test_drop_deletes_only_set_aside_rows(kit_pool: asyncpg.Pool) -> None:
    aside = await add_row(kit_pool, set_aside=True)
    pending = await add_row(kit_pool, set_aside=False)
    published = await add_row(kit_pool, set_aside=False, published=True)
    async with kit_pool.acquire() as conn:
        assert await drop_set_aside(conn, [aside, pending, published]) == [aside]
    left = await kit_pool.fetch("SELECT id FROM outbox ORDER BY id")
    assert [r["id"] for r in left] == [pending, published]


async def test_the_command_lists_and_refuses_a_drop_without_yes(
    kit_pool: asyncpg.Pool, kit_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    aside = await add_row(kit_pool, set_aside=True)
    monkeypatch.setenv("KIT_DATABASE_URL", kit_dsn)
    runner = CliRunner()
    # CliRunner runs the command in this thread; asyncio.run needs a loop-free thread.
    listed = await _in_thread(runner, ["list", "--service", "kit"])
    assert listed.exit_code == 0, listed.output
    assert "MessageSizeTooLargeError" in listed.output
    refused = await _in_thread(runner, ["drop", "--service", "kit", str(aside)])
    assert refused.exit_code != 0
    assert "--yes" in refused.output
    assert await kit_pool.fetchval("SELECT count(*) FROM outbox WHERE id = $1", aside) == 1
    dropped = await _in_thread(runner, ["drop", "--service", "kit", str(aside), "--yes"])
    assert dropped.exit_code == 0, dropped.output
    assert await kit_pool.fetchval("SELECT count(*) FROM outbox WHERE id = $1", aside) == 0


async def _in_thread(runner: CliRunner, argv: list[str]) -> Result:
    return await asyncio.to_thread(lambda: runner.invoke(app, argv, env={"COLUMNS": "250"}))
