"""SQL of the reviewer invitations: one row per person, claimed by the invitation worker."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class DueInvitation:
    email: str
    name: str
    attempts: int


async def request_invitation(conn: DbConnection, *, email: str, name: str, event_id: str) -> None:
    """Once per person: naming them again changes nothing."""
    await conn.execute(
        "INSERT INTO reviewer_invitations (email, name, first_event_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (email) DO NOTHING",
        email.lower(),
        name,
        event_id,
    )


async def claim_due(pool: asyncpg.Pool, *, limit: int, lease_seconds: float) -> list[DueInvitation]:
    """Due rows, leased: another instance skips them until the lease ends (a crash mid-call
    makes the row due again when it does)."""
    rows = await pool.fetch(
        "UPDATE reviewer_invitations SET next_attempt_at = now() + make_interval(secs => $2)"
        " WHERE email IN (SELECT email FROM reviewer_invitations"
        "  WHERE state = 'pending' AND next_attempt_at <= now()"
        "  ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " RETURNING email, name, attempts",
        limit,
        lease_seconds,
    )
    return [DueInvitation(r["email"], r["name"], r["attempts"]) for r in rows]


async def mark_done(pool: asyncpg.Pool, email: str, state: str) -> None:
    await pool.execute(
        "UPDATE reviewer_invitations SET state = $2, done_at = now(), last_error = NULL,"
        " attempts = attempts + 1 WHERE email = $1",
        email,
        state,
    )


async def postpone(pool: asyncpg.Pool, email: str, *, delay_seconds: float, error: str) -> None:
    await pool.execute(
        "UPDATE reviewer_invitations SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $2) WHERE email = $1",
        email,
        delay_seconds,
        error[:1000],
    )
