"""The three services as OS processes against the real Kafka, Postgres and SMTP capture (the
`platform` fixture of the pytest plugin `aihub_local.pytest_plugin`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, StaffHeaders, eventually
from tests.e2e.support import unique, write_test_catalog


@pytest.fixture
async def staff(platform: PlatformServices) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    headers = StaffHeaders(StaffAccount("admin@hub.example", ("admin",)))
    clients = {
        name: httpx.AsyncClient(base_url=platform.url(name), headers=headers, timeout=10)
        for name in ("applications", "programs", "notifications")
    }
    try:
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()


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
