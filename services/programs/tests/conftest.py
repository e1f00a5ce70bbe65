"""Builders and fixtures shared by the programs tests (import the builders from here)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel

from aihub_local.stack import StackEndpoints
from aihub_local.testing import scratch_database_url
from aihub_programs.domain.catalog import CohortSpec, ProgramSpec
from aihub_programs.service_layer.catalog import create_cohort, create_program
from aihub_shared.contracts.applications import ApplicationDecided, ApplicationWithdrawn
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.values import BRN_WEIGHTS
from aihub_shared.runtime.db import apply_migrations, create_pool

TEST_ROLE = "programs_test"
PROGRAM = "cv-batch"


def brn(n: int) -> str:
    """The n-th test 사업자등록번호, with a valid check digit."""
    head = f"{220 + n % 700:03d}81{n % 100_000:04d}"[:9]
    digits = [int(d) for d in head]
    total = sum(d * w for d, w in zip(digits, BRN_WEIGHTS, strict=True)) + digits[8] * 5 // 10
    return head + str((10 - total % 10) % 10)


BRNS = [brn(n) for n in range(20)]


def program_spec(code: str = PROGRAM, cohorts: list[CohortSpec] | None = None) -> ProgramSpec:
    return ProgramSpec.model_validate(
        {
            "code": code,
            "name_ko": "사이버밸리 배치 프로그램",
            "name_en": "Cyber Valley batch program",
            "partner": "Cyber Valley",
            "program_managers": [{"name": "PM", "email": "pm@hub.example", "locale": "en"}],
            "cohorts": [c.model_dump() for c in cohorts or []],
        }
    )


def cohort_spec(code: str = "cv-2027-1", seats: int = 2, **extra: Any) -> CohortSpec:
    now = datetime.now(UTC)
    return CohortSpec.model_validate(
        {
            "code": code,
            "seats": seats,
            "application_opens_at": now - timedelta(days=1),
            "application_closes_at": now + timedelta(days=30),
            **extra,
        }
    )


def accepted(
    application_id: str,
    *,
    rank: int | None = None,
    cohort: str = "cv-2027-1",
    program: str = PROGRAM,
    startup_brn: str = BRNS[0],
) -> ApplicationDecided:
    return ApplicationDecided(
        application_id=application_id,
        program_code=program,
        cohort_code=cohort,
        startup_name=f"Startup {application_id}",
        business_registration_number=startup_brn,
        decided_by="pm@hub.example",
        reason="selected",
        rank=rank,
    )


def withdrawn(application_id: str, *, cohort: str = "cv-2027-1") -> ApplicationWithdrawn:
    return ApplicationWithdrawn(
        application_id=application_id,
        program_code=PROGRAM,
        cohort_code=cohort,
        startup_name=f"Startup {application_id}",
        withdrawn_by="founder@startup.example",
        reason="joined another accelerator",
    )


def event(name: str, data: BaseModel, *, source: str = "/tests") -> CloudEvent:
    return CloudEvent.new(type=contract(name).type, source=source, subject="s", data=data)


def new_id() -> str:
    return str(uuid.uuid4())


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


async def handle(pool: asyncpg.Pool, handler: Any, event: CloudEvent, data: Any) -> None:
    """Run a handler as the consumer does: in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await handler(conn, event, data)


async def make_cohort(pool: asyncpg.Pool, code: str = "cv-2027-1", seats: int = 2) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT true FROM programs WHERE code = $1", PROGRAM):
            await create_program(conn, PROGRAM, program_spec())
        spec = cohort_spec(code, seats)
        await create_cohort(conn, PROGRAM, code, spec)


async def queued(pool: asyncpg.Pool, prefix: str = "kr.seoul.aihub.") -> list[dict[str, Any]]:
    """Events in the outbox, oldest first, as (type short name, data, key)."""
    rows = await pool.fetch(
        "SELECT key, value, event_type FROM outbox WHERE event_type LIKE $1 || '%' ORDER BY id",
        prefix,
    )
    found = []
    for row in rows:
        name = row["event_type"].removeprefix("kr.seoul.aihub.").rsplit(".v", 1)[0]
        found.append({"name": name, "key": row["key"].decode(), **json.loads(row["value"])})
    return found


async def enrollment_events(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    return [
        (e["name"], e["data"].get("application_id", e["data"].get("cohort_code")))
        for e in await queued(pool)
        if e["name"].startswith(("enrollment.", "cohort.filled"))
    ]
