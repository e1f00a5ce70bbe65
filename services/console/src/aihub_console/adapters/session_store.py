"""Sessions in the console's own schema, keyed by the SHA-256 of the cookie's random id, their
data sealed (`session_seal.py`)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import asyncpg
import structlog

from aihub_console.adapters.session_seal import SessionSeal

log = structlog.get_logger(__name__)

#: 256 bits of randomness, URL-safe: the only thing the browser holds.
SESSION_ID_BYTES = 32


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class SessionStore:
    def __init__(
        self, pool: asyncpg.Pool, seal: SessionSeal, *, idle: timedelta, lifetime: timedelta
    ) -> None:
        self._pool = pool
        self._seal = seal
        self._idle = idle
        self._lifetime = lifetime

    async def load(self, session_id: str) -> dict[str, Any] | None:
        """The session's data, or None if there is no such live session."""
        owner = _hash(session_id)
        sealed: bytes | None = await self._pool.fetchval(
            "SELECT sealed FROM sessions WHERE id_hash = $1 AND expires_at > now()", owner
        )
        if sealed is None:
            return None
        data = self._seal.open(owner, sealed)
        if data is None:
            # A key dropped too early, or a row altered or copied from another session: the
            # person signs in again; nothing about the row is logged but that it did not open.
            log.warning("a session did not open with the configured keys")
        return data

    async def save(self, session_id: str, data: dict[str, Any]) -> None:
        """Create or update; each save moves the idle expiry forward, never past the end."""
        await self._pool.execute(
            """
            INSERT INTO sessions (id_hash, sealed, expires_at, ends_at)
            VALUES ($1, $2, now() + $3::interval, now() + $4::interval)
            ON CONFLICT (id_hash) DO UPDATE
               SET sealed = EXCLUDED.sealed,
                   last_seen_at = now(),
                   expires_at = LEAST(now() + $3::interval, sessions.ends_at)
            """,
            _hash(session_id),
            self._seal.seal(_hash(session_id), data),
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
