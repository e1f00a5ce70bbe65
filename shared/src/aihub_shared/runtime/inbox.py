"""Idempotent consumer: claim a message in the same transaction as its effect."""

from __future__ import annotations

from collections.abc import Sequence

from aihub_shared.runtime.db import DbConnection


async def claim(conn: DbConnection, consumer: str, message_key: str, outcome: str) -> bool:
    """True if this consumer has not handled the message before; the claim commits or rolls back
    with the caller's transaction, so an effect is recorded at most once."""
    return message_key in await claim_all(conn, consumer, [message_key], outcome)


async def claim_all(
    conn: DbConnection, consumer: str, message_keys: Sequence[str], outcome: str
) -> set[str]:
    """`claim` for many messages in one statement: the keys not handled before (a key twice in
    `message_keys` is claimed once)."""
    if not message_keys:
        return set()
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, message_key, outcome)"
        " SELECT $1, key, $3 FROM unnest($2::text[]) AS key"
        " ON CONFLICT DO NOTHING RETURNING message_key",
        consumer,
        list(message_keys),
        outcome,
    )
    return {row["message_key"] for row in rows}


async def prune(conn: DbConnection, older_than_days: int) -> int:
    """Forget claims older than `older_than_days`: a message that old can no longer be
    redelivered once Kafka's retention (7 days on the personal-data topics, 30 for dead
    letters) has deleted it, so its claim guards nothing. Returns how many went."""
    status = await conn.execute(
        "DELETE FROM inbox WHERE processed_at < now() - make_interval(days => $1)", older_than_days
    )
    return int(status.split()[-1])
