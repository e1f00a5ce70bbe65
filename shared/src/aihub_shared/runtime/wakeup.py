"""Wait for a Postgres NOTIFY on a channel, or a polling interval, whichever comes first.

NOTIFY makes the outbox relay and mail sender react within milliseconds; the polling fallback
covers a lost listener connection, so nothing depends on a notification arriving.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger(__name__)


class Wakeup:
    def __init__(self, dsn: str, channel: str, *, poll_interval: float) -> None:
        self._dsn = dsn
        self._channel = channel
        self._poll_interval = poll_interval
        self._event = asyncio.Event()
        self._conn: asyncpg.Connection | None = None

    def _notified(self, *_: Any) -> None:
        self._event.set()

    async def _ensure_listening(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        try:
            self._conn = await asyncpg.connect(self._dsn, timeout=5)
            await self._conn.add_listener(self._channel, self._notified)
        # InterfaceError: the connection closed under us (Postgres restarting); poll till back.
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            self._conn = None
            log.warning("listen failed; polling only", channel=self._channel, error=str(exc))

    async def wait(self) -> None:
        await self._ensure_listening()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout=self._poll_interval)
        self._event.clear()

    def poke(self) -> None:
        """Wake the waiter now (used on shutdown)."""
        self._event.set()

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None
