"""Builders the programs tests share (test modules import them from here; `conftest.py` keeps
only the fixtures)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg
from asyncpg.transaction import Transaction
from pydantic import BaseModel

from aihub_local.testing import (
    UNUSED_KAFKA_LOGIN,
    StaffAccount,
    StaffHeaders,
    handle_in_transaction,
    oidc_issuer_url,
    valid_brn,
)
from aihub_programs.domain.catalog import CohortSpec, ProgramSpec
from aihub_programs.service_layer.catalog import create_cohort, create_program
from aihub_programs.service_layer.enrollment import (
    enroll_accepted_application,
    release_withdrawn_application,
)
from aihub_shared.contracts.applications import ApplicationDecided, ApplicationWithdrawn
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import contract
from aihub_shared.identity import Role, StaffPrincipal

PROGRAM = "cv-batch"

#: Staff members calling the service layer as the HTTP API would on their behalf.
ADMIN_STAFF = StaffPrincipal(id="admin@hub.example", name="Admin", role=Role.ADMIN)
PM_STAFF = StaffPrincipal(
    id="pm@hub.example", name="PM", role=Role.PROGRAM_MANAGER, programs=frozenset({PROGRAM})
)
OTHER_PM_STAFF = StaffPrincipal(
    id="pm@other.example",
    name="Other PM",
    role=Role.PROGRAM_MANAGER,
    programs=frozenset({"membership"}),
)


def brn(n: int) -> str:
    """The n-th test 사업자등록번호, with a valid check digit."""
    return valid_brn(int(f"{220 + n % 700:03d}81{n % 100_000:04d}"[:9]))


BRNS = [brn(n) for n in range(20)]


def program_spec(code: str = PROGRAM, cohorts: list[CohortSpec] | None = None) -> ProgramSpec:
    return ProgramSpec.model_validate(
        {
            "code": code,
            "name_ko": "사이버밸리 배치 프로그램",
            "name_en": "Cyber Valley batch program",
            "partner": "Cyber Valley",
            "program_managers": [{"name": "PM", "email": manager_of(code), "locale": "en"}],
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


async def accept(
    pool: asyncpg.Pool, application_id: str, rank: int | None = None, **details: Any
) -> None:
    """`application.accepted` (built by `accepted`) handled as the consumer does."""
    data = accepted(application_id, rank=rank, **details)
    await handle_in_transaction(
        pool, enroll_accepted_application, event("application.accepted", data), data
    )


async def withdraw(pool: asyncpg.Pool, application_id: str) -> None:
    """`application.withdrawn` (built by `withdrawn`) handled as the consumer does."""
    data = withdrawn(application_id)
    await handle_in_transaction(
        pool, release_withdrawn_application, event("application.withdrawn", data), data
    )


def new_id() -> str:
    return str(uuid.uuid4())


async def make_cohort(pool: asyncpg.Pool, code: str = "cv-2027-1", seats: int = 2) -> None:
    if not await pool.fetchval("SELECT true FROM programs WHERE code = $1", PROGRAM):
        await create_program(pool, program_spec())
    await create_cohort(pool, PROGRAM, cohort_spec(code, seats), staff=ADMIN_STAFF)


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


class CommitHeld:
    """A pool whose transactions stop just before they commit, until `release()`: a use case that
    opens its own transaction is caught between its work and its commit, its locks held, while
    the test starts another."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.reached = asyncio.Event()
        self._released = asyncio.Event()

    @property
    def pool(self) -> asyncpg.Pool:
        """What the use case takes (it only acquires connections and opens transactions)."""
        return cast(asyncpg.Pool, self)

    def release(self) -> None:
        self._released.set()

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[_HeldConnection]:
        async with self._pool.acquire() as conn:
            yield _HeldConnection(conn, self)

    async def commit(self, transaction: Transaction) -> None:
        self.reached.set()
        await self._released.wait()
        await transaction.commit()


class _HeldConnection:
    def __init__(self, conn: Any, held: CommitHeld) -> None:
        self._conn = conn
        self._held = held

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def transaction(self, **options: Any) -> _HeldTransaction:
        return _HeldTransaction(self._conn.transaction(**options), self._held)


class _HeldTransaction:
    def __init__(self, transaction: Transaction, held: CommitHeld) -> None:
        self._transaction = transaction
        self._held = held

    async def __aenter__(self) -> None:
        await self._transaction.start()

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            await self._held.commit(self._transaction)
        else:
            await self._transaction.rollback()


# -- the staff HTTP API -------------------------------------------------------------------------


def api_settings() -> dict[str, str]:
    """The API's environment in tests: tokens are verified with the test stack's Keycloak."""
    return {
        "PROGRAMS_DATABASE_URL": "postgresql://unused",
        "OIDC_ISSUER_URL": oidc_issuer_url(),
        **UNUSED_KAFKA_LOGIN,
    }


#: Program managers are the catalog's: `program_body` and `program_spec` list them.
PM_CV_EMAIL = "pm@hub.example"
PM_OTHER_EMAIL = "pm-membership@hub.example"


def manager_of(program_code: str) -> str:
    return PM_OTHER_EMAIL if program_code == "membership" else PM_CV_EMAIL


ADMIN = StaffHeaders(StaffAccount("admin@hub.example", ("admin",)))
PM_CV = StaffHeaders(StaffAccount(PM_CV_EMAIL))
PM_OTHER = StaffHeaders(StaffAccount(PM_OTHER_EMAIL))
REVIEWER = StaffHeaders(StaffAccount("reviewer@hub.example"))
OPS = StaffHeaders(StaffAccount("ops@hub.example", ("ops",)))


def cohort_body(code: str = "cv-2027-1", seats: int = 2, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "code": code,
        "seats": seats,
        "application_opens_at": (now - timedelta(days=1)).isoformat(),
        "application_closes_at": (now + timedelta(days=30)).isoformat(),
        "agreement_due_days": 10,
        "questions": [{"key": "why_now", "label_ko": "왜 지금?", "label_en": "Why now?"}],
        **extra,
    }


def program_body(code: str = "cv-batch", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_ko": "사이버밸리 배치 프로그램",
        "name_en": "Cyber Valley batch program",
        "partner": "Cyber Valley",
        "description_ko": "유럽 진출",
        "description_en": "European market entry",
        "program_managers": [{"name": "PM", "email": manager_of(code), "locale": "en"}],
        **extra,
    }


def stage_body(code: str, weight: int, criteria: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "name_ko": code,
        "name_en": code,
        "weight": weight,
        "criteria": [{"code": c, "name_ko": c, "name_en": c, "weight": 1} for c in criteria],
    }
