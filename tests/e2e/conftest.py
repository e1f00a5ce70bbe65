"""The three services as OS processes against the real Kafka, Postgres and SMTP capture."""

from __future__ import annotations

import json
import mailbox
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices, create_topics, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually

TEST_STAFF_TOKEN_SECRET = "test-staff-token-secret-0123456789abcdef"  # noqa: S105


@pytest.fixture(scope="session")
def platform(local_stack: StackEndpoints) -> Iterator[PlatformServices]:
    create_topics(local_stack)
    log_dir = local_stack.state_dir / "logs" / "services"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = PlatformServices(
        local_stack, log_dir=log_dir, staff_token_secret=TEST_STAFF_TOKEN_SECRET
    )
    try:
        services.start_all()
        yield services
    finally:
        codes = services.stop_all()
    # A clean SIGTERM shutdown is part of the contract: every service exits 0.
    assert all(code == 0 for code in codes.values()), codes


@pytest.fixture
async def staff(platform: PlatformServices) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    headers = {"Authorization": f"Bearer {platform.admin_token()}"}
    clients = {
        name: httpx.AsyncClient(base_url=platform.url(name), headers=headers, timeout=10)
        for name in ("applications", "programs", "notifications")
    }
    try:
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def write_test_catalog(
    directory: Path, *, program: str, cohort: str, seats: int, manager_email: str
) -> Path:
    now = datetime.now(UTC)
    catalog: dict[str, Any] = {
        "programs": [
            {
                "code": program,
                "name_ko": "테스트 배치 프로그램",
                "name_en": "Test batch program",
                "partner": "Cyber Valley",
                "program_managers": [
                    {"name": "프로그램 매니저", "email": manager_email, "locale": "ko"}
                ],
                "cohorts": [
                    {
                        "code": cohort,
                        "seats": seats,
                        "application_opens_at": (now - timedelta(hours=1)).isoformat(),
                        "application_closes_at": (now + timedelta(days=1)).isoformat(),
                        "max_startup_age_years": 7,
                    }
                ],
            }
        ]
    }
    path = directory / f"{cohort}.json"
    path.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
async def open_cohort(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    tmp_path: Path,
) -> dict[str, str]:
    """A fresh cohort, seeded through the programs service and replicated into applications."""
    names = {
        "program": unique("e2e"),
        "cohort": unique("e2e-cohort"),
        "manager_email": f"{unique('pm')}@hub.example",
    }
    path = write_test_catalog(
        tmp_path,
        program=names["program"],
        cohort=names["cohort"],
        seats=2,
        manager_email=names["manager_email"],
    )
    seed_catalog(local_stack, path)

    async def replicated() -> bool:
        cohorts = (await staff["applications"].get("/cohorts")).json()
        return any(c["cohort_code"] == names["cohort"] for c in cohorts)

    await eventually(replicated, what="the cohort in the applications replica")
    return names


def mails_to(mail_dir: Path, address: str) -> list[Message]:
    box = mailbox.Maildir(mail_dir, create=False)
    return [m for m in box if address in (m.get("To") or "")]
