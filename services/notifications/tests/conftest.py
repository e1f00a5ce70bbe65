"""Fixtures of the notifications tests. Builders and helpers are in `support.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_notifications.adapters.templates import MailRenderer
from services.notifications.tests.support import TEST_ROLE, emptied_pool


@pytest.fixture(scope="session")
async def notifications_dsn(local_stack: StackEndpoints) -> str:
    """A scratch role and schema shaped like the service's own: a notifications service that
    another test runs against the `notifications` schema never races these tests for rows."""
    return await scratch_database_url(local_stack, TEST_ROLE)


@pytest.fixture
async def db(notifications_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await emptied_pool(notifications_dsn)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def smtp() -> Iterator[FaultySmtp]:
    """A real SMTP server on a free port, up, failing only when told to."""
    server = FaultySmtp()
    server.up()
    try:
        yield server
    finally:
        server.down()


@pytest.fixture(scope="session")
def renderer() -> MailRenderer:
    return MailRenderer()
