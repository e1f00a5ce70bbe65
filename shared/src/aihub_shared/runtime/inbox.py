"""Idempotent consumer: claim a message in the same transaction as its effect."""

from __future__ import annotations

from aihub_shared.runtime.db import DbConnection


async def claim(conn: DbConnection, consumer: str, message_key: str, outcome: str) -> bool:
    """True if this consumer has not handled the message before; the claim commits or rolls back
    with the caller's transaction, so an effect is recorded at most once."""
    inserted = await conn.fetchval(
        "INSERT INTO inbox (consumer, message_key, outcome) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true",
        consumer,
        message_key,
        outcome,
    )
    return bool(inserted)
