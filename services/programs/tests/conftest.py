"""Fixtures of the programs tests (the builders they share are in `support.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_programs.entrypoints.app import definition
from aihub_programs.settings import Settings
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.service import ServiceRuntime, build_broker, http_app
from services.programs.tests.support import api_settings

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


@pytest.fixture
async def api(db: asyncpg.Pool, programs_dsn: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.model_validate({**api_settings(), "PROGRAMS_DATABASE_URL": programs_dsn})
    app = http_app(definition(settings))
    # The broker is never started: the routes only use the pool.
    app.state.runtime = ServiceRuntime(
        settings=settings, pool=db, broker=build_broker(settings, "programs-api-test")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://programs") as client:
        yield client
