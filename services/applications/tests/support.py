"""Helpers the applications tests share: staff accounts (real Keycloak tokens), a valid
submission, reading the outbox. (Fixtures are in `conftest.py`.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from aihub_applications.adapters import catalog_replica
from aihub_applications.settings import Settings
from aihub_local.testing import UNUSED_KAFKA_LOGIN, StaffAccount, oidc_issuer_url, valid_brn
from aihub_shared.contracts.programs import CohortPublished

PROGRAM = "cyber-valley-batch"
OTHER_PROGRAM = "membership"


def business_number(n: int) -> str:
    """A valid 사업자등록번호 for each n: nine digits, then their check digit."""
    return valid_brn(n * 7919 + 301_810_000)


ADMIN = StaffAccount("admin@hub.example", ("admin",))
OPS = StaffAccount("portal@hub.example", ("ops",))
#: Program managers are the catalog's: `make_cohort` lists them as their program's managers.
MANAGER = StaffAccount("pm@hub.example")
OTHER_MANAGER = StaffAccount("pm-other@hub.example")
MANAGERS_OF = {PROGRAM: MANAGER, OTHER_PROGRAM: OTHER_MANAGER}


def reviewer_account(email: str) -> StaffAccount:
    """A reviewer: no realm role, no program; what they see are their assignments."""
    return StaffAccount(email)


def bearer(caller: StaffAccount | str) -> dict[str, str]:
    """Headers with the account's real token (or with the given raw token)."""
    token = caller.token() if isinstance(caller, StaffAccount) else caller
    return {"Authorization": f"Bearer {token}"}


def service_settings() -> Settings:
    """The service's settings for in-process API tests (the pool is injected, not connected)."""
    return Settings.model_validate(
        {
            "APPLICATIONS_DATABASE_URL": "postgresql://unused@localhost/x",
            "OIDC_ISSUER_URL": oidc_issuer_url(),
            **UNUSED_KAFKA_LOGIN,
        }
    )


CohortFactory = Callable[..., Any]


def submission(cohort: CohortPublished, n: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "submission_id": f"sub-{uuid.uuid4().hex[:12]}",
        "program_code": cohort.program_code,
        "cohort_code": cohort.cohort_code,
        "startup": {
            "name": f"Startup {n}",
            "business_registration_number": business_number(n + int(uuid.uuid4().int % 10**6)),
            "founded_on": "2023-05-02",
            "employees": 5,
            "ai_field": "vision",
        },
        "contact": {"name": "Mina Park", "email": f"founder{n}@startup.example", "locale": "en"},
        "answers": {"why_now": "Pilots finished."},
        "consent_personal_info": True,
    }
    data.update(overrides)
    return data


def locations(response: httpx.Response) -> list[list[Any]]:
    """Where a 422 says the request went wrong, field by field."""
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["detail"]]


async def submit(api: httpx.AsyncClient, data: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/intake/applications", json=data, headers=bearer(OPS))
    assert response.status_code == 200, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def outbox_events(pool: asyncpg.Pool, application_id: str) -> list[dict[str, Any]]:
    """The events queued about one application, oldest first, as (short name, data).

    Found by the data's `application_id`: lifecycle events are keyed by cohort code."""
    return await _events_where(
        pool,
        "convert_from(value, 'UTF8')::jsonb -> 'data' ->> 'application_id' = $1",
        application_id,
    )


async def outbox_events_keyed(pool: asyncpg.Pool, key: str) -> list[dict[str, Any]]:
    """The events queued under one Kafka key (e.g. receipts, keyed by submission id)."""
    return await _events_where(pool, "key = $1", key.encode())


async def _events_where(pool: asyncpg.Pool, condition: str, value: object) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f"SELECT event_type, value FROM outbox WHERE {condition} ORDER BY id",  # noqa: S608
        value,
    )
    return [
        {
            "type": r["event_type"].removeprefix("kr.seoul.aihub.").rsplit(".v", 1)[0],
            **json.loads(r["value"])["data"],
        }
        for r in rows
    ]


#: A stored application: (cohort index, status, rank).
Stored = tuple[int, str, int | None]
SEEDED_PROGRAM = "seeded"


@dataclass(frozen=True)
class Seeded:
    """Applications stored directly, by position, and the cohorts (by position) they are in."""

    codes: list[str]
    ids: list[uuid.UUID]

    def shown(self, text: str) -> str:
        """Ids and cohort codes as positions, so two seeded copies compare equal."""
        for n, application_id in enumerate(self.ids):
            text = text.replace(str(application_id), f"#{n}")
        for n, code in enumerate(self.codes):
            text = text.replace(code, f"C{n}")
        return text


async def seeded(pool: asyncpg.Pool, stored: Sequence[Stored], cohorts: int = 2) -> Seeded:
    """Applications stored as they are (no intake, no history, no events) in new cohorts of
    `SEEDED_PROGRAM`; each has its position as its final score."""
    now = datetime.now(UTC)
    seeds = Seeded([f"sd-{uuid.uuid4().hex[:10]}" for _ in range(cohorts)], [])
    async with pool.acquire() as conn:
        for code in seeds.codes:
            cohort = CohortPublished.model_validate(
                {
                    "program_code": SEEDED_PROGRAM,
                    "program_name_ko": "일괄",
                    "program_name_en": "Bulk",
                    "cohort_code": code,
                    "seats": 2,
                    "application_opens_at": (now - timedelta(days=1)).isoformat(),
                    "application_closes_at": (now + timedelta(days=1)).isoformat(),
                }
            )
            await catalog_replica.replicate_cohort(conn, cohort, now)
        seeds.ids.extend(uuid.uuid4() for _ in stored)
        await conn.executemany(
            "INSERT INTO applications (id, submitted_by, submission_id, content_hash,"
            " program_code, cohort_code, startup_name, business_registration_number,"
            " submission, status, rank, final_score)"
            " VALUES ($1::uuid, '/test', $1::uuid::text, 'x', $2, $3, $4, $5, '{}', $6, $7, $8)",
            [
                (
                    a,
                    SEEDED_PROGRAM,
                    seeds.codes[c],
                    f"Startup {n}",
                    valid_brn(300_000_000 + n),
                    s,
                    r,
                    n,
                )
                for n, (a, (c, s, r)) in enumerate(zip(seeds.ids, stored, strict=True))
            ],
        )
    return seeds
