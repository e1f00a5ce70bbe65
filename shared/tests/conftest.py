"""Fixtures of the kit's tests. Those on the real Postgres and Kafka (`*_integration.py`) get a
scratch schema and role, apart from the services' own schemas (whose relays would otherwise race
the tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_shared.contracts.topics_admin import ensure_topics
from aihub_shared.runtime.db import apply_migrations, create_pool

KIT_ROLE = "kit_test"


@pytest.fixture(scope="session")
async def kit_dsn(local_stack: StackEndpoints) -> str:
    await ensure_topics(local_stack.kafka_as("ops"))
    return await scratch_database_url(local_stack, KIT_ROLE)


@pytest.fixture
async def kit_pool(kit_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(kit_dsn, max_size=4)
    await apply_migrations(pool, None)
    # Each test starts from an empty outbox and inbox.
    await pool.execute("TRUNCATE outbox, inbox")
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:12]
