"""Fixtures of the programs tests (the builders they share are in `support.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_shared.runtime.db import apply_migrations, create_pool

TEST_ROLE = "programs_test"


@pytest.fixture(scope="session")
async def programs_dsn(local_stack: StackEndpoints) -> str:
    """A scratch role and schema shaped like the service's own, so that a programs service that
    another test runs never races these tests for rows."""
    return await scratch_database_url(local_stack, TEST_ROLE)


@pytest.fixture
async def db(programs_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(programs_dsn, max_size=8)
    await apply_migrations(pool, "aihub_programs")
    await pool.execute(
        "TRUNCATE kpi_reports, enrollments, cohorts, programs, outbox, inbox RESTART IDENTITY"
    )
    try:
        yield pool
    finally:
        await pool.close()
