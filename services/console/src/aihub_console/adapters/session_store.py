"""Sessions in the console's own schema, keyed by the SHA-256 of the cookie's random id."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import asyncpg

#: 256 bits of randomness, URL-safe: the only thing the browser holds.
SESSION_ID_BYTES = 32


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class SessionStore:
    def __init__(self, pool: asyncpg.Pool, *, idle: timedelta, lifetime: timedelta) -> None:
        self._pool = pool
        self._idle = idle
        self._lifetime = lifetime

    async def load(self, session_id: str) -> dict[str, Any] | None:
        """The session's data, or None if there is no such live session."""
        data: dict[str, Any] | None = await self._pool.fetchval(
            "SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > now()", _hash(session_id)
        )
        return data

    async def save(self, session_id: str, data: dict[str, Any]) -> None:
        """Create or update; each save moves the idle expiry forward, never past the end."""
        await self._pool.execute(
            """
            INSERT INTO sessions (id_hash, data, expires_at, ends_at)
            VALUES ($1, $2, now() + $3::interval, now() + $4::interval)
            ON CONFLICT (id_hash) DO UPDATE
               SET data = EXCLUDED.data,
                   last_seen_at = now(),
                   expires_at = LEAST(now() + $3::interval, sessions.ends_at)
            """,
            _hash(session_id),
            data,
            self._idle,
            self._lifetime,
        )

    async def touch(self, session_id: str) -> bool:
        """Move the idle expiry forward without writing the data; False if there is no such
        session (a new one, or one that expired meanwhile)."""
        status: str = await self._pool.execute(
            "UPDATE sessions SET last_seen_at = now(),"
            " expires_at = LEAST(now() + $2::interval, ends_at)"
            " WHERE id_hash = $1 AND expires_at > now()",
            _hash(session_id),
            self._idle,
        )
        return status.endswith(" 1")

    async def delete(self, session_id: str) -> None:
        await self._pool.execute("DELETE FROM sessions WHERE id_hash = $1", _hash(session_id))

    async def purge_expired(self) -> int:
        status: str = await self._pool.execute("DELETE FROM sessions WHERE expires_at <= now()")
        return int(status.split()[-1])
