"""Fixtures of the applications tests: the HTTP API in process, on the real Postgres (a scratch
schema shaped like the service's, so the running services never race these tests), and cohorts
in the catalog replica. Shared helpers (tokens, submissions, the outbox) are in `support.py`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest

from aihub_applications.adapters import catalog_replica
from aihub_applications.entrypoints.app import definition
from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.service import http_app
from services.applications.tests.support import (
    MANAGERS_OF,
    PROGRAM,
    CohortFactory,
    service_settings,
)


@pytest.fixture(scope="session")
async def applications_dsn(local_stack: StackEndpoints) -> str:
    return await scratch_database_url(local_stack, "applications_test")


@pytest.fixture(scope="session")
async def applications_pool(applications_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(applications_dsn, max_size=6)
    await apply_migrations(pool, "aihub_applications")
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def api(applications_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = http_app(definition(service_settings()))
    app.state.runtime = SimpleNamespace(pool=applications_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        yield client


@pytest.fixture
def make_cohort(applications_pool: asyncpg.Pool) -> CohortFactory:
    async def make(**overrides: Any) -> CohortPublished:
        now = datetime.now(UTC)
        data: dict[str, Any] = {
            "program_code": PROGRAM,
            "program_name_ko": "사이버밸리 배치",
            "program_name_en": "Cyber Valley batch",
            "cohort_code": f"cv-{uuid.uuid4().hex[:10]}",
            "seats": 2,
            "application_opens_at": (now - timedelta(hours=1)).isoformat(),
            "application_closes_at": (now + timedelta(days=1)).isoformat(),
            "max_startup_age_years": 7,
            "questions": [
                {"key": "why_now", "label_ko": "왜 지금인가요?", "label_en": "Why now?"},
                {"key": "extra", "label_ko": "기타", "label_en": "Other", "required": False},
            ],
        }
        data.update(overrides)
        manager = MANAGERS_OF.get(data["program_code"])
        if manager is not None and "program_managers" not in overrides:
            data["program_managers"] = [{"name": "PM", "email": manager.email, "locale": "en"}]
        cohort = CohortPublished.model_validate(data)
        async with applications_pool.acquire() as conn:
            await catalog_replica.replicate_cohort(conn, cohort, now)
        return cohort

    return make
