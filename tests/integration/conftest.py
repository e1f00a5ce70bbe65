"""A scratch schema and role for testing the runtime kit on the real Postgres and Kafka, apart
from the services' own schemas (whose relays would otherwise race the tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from aihub_local.stack import StackEndpoints
from aihub_shared.contracts.topics_admin import ensure_topics
from aihub_shared.runtime.db import apply_migrations, create_pool

KIT_ROLE = "kit_test"

_PROVISION = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{KIT_ROLE}') THEN
        CREATE ROLE {KIT_ROLE} LOGIN PASSWORD '{KIT_ROLE}';
    END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS {KIT_ROLE} AUTHORIZATION {KIT_ROLE};
ALTER ROLE {KIT_ROLE} SET search_path = {KIT_ROLE};
GRANT CONNECT ON DATABASE aihub TO {KIT_ROLE};
"""


@pytest.fixture(scope="session")
async def kit_dsn(local_stack: StackEndpoints) -> str:
    admin = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        await admin.execute(_PROVISION)
    finally:
        await admin.close()
    await ensure_topics(local_stack.kafka_bootstrap)
    return (
        f"postgresql://{KIT_ROLE}:{KIT_ROLE}@{local_stack.postgres_host}:"
        f"{local_stack.postgres_port}/{local_stack.postgres_database}"
    )


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
