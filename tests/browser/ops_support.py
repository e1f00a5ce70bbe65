"""What the ops and outcomes browser tests set up through the platform's own doors: a fresh
cohort seeded with `aihub-programs seed`, lifecycle and KPI events published as the test
principal stands in for the applications service and a partner, captured mails waited for."""

from __future__ import annotations

import asyncio
import mailbox
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from aihub_local.platform import seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, StaffHeaders, eventually, mails_to, publish
from tests.e2e.programs_io import lifecycle_event, received_data
from tests.e2e.support import unique, write_test_catalog

OPS = StaffAccount("console-ops@hub.example", ("ops",), name="Ops Person")


@dataclass(frozen=True)
class Cohort:
    program: str
    cohort: str
    manager_email: str


async def seeded_cohort(local_stack: StackEndpoints, directory: Path) -> Cohort:
    """A new program with one open cohort, published to every service's replica."""
    found = Cohort(unique("ops"), unique("ops-cohort"), f"{unique('pm')}@hub.example")
    path = write_test_catalog(
        directory,
        program=found.program,
        cohort=found.cohort,
        seats=2,
        manager_email=found.manager_email,
    )
    await asyncio.to_thread(seed_catalog, local_stack, path)
    return found


def applicant_of(application_id: str) -> str:
    """The applicant's address in `received_data`."""
    return f"founder-{application_id[:8]}@startup.example"


async def publish_lifecycle(
    local_stack: StackEndpoints, cohort: Cohort, name: str, data: dict[str, Any]
) -> str:
    """One `applications.lifecycle` event (keyed by cohort, as applications publishes them);
    its event id."""
    event_id = str(uuid.uuid4())
    value = lifecycle_event(name, data, event_id=event_id)
    await publish(
        local_stack.kafka, "applications.lifecycle", [(cohort.cohort.encode(), value, [])]
    )
    return event_id


async def publish_received(
    local_stack: StackEndpoints, cohort: Cohort, application_id: str
) -> None:
    data = received_data(application_id, program=cohort.program, cohort=cohort.cohort)
    await publish_lifecycle(local_stack, cohort, "application.received", data)


async def mails_of(
    local_stack: StackEndpoints, address: str, template: str, *, count: int = 1
) -> list[mailbox.MaildirMessage]:
    """Once the SMTP capture holds `count` mails of `template` to `address`: those mails."""

    async def arrived() -> list[mailbox.MaildirMessage] | None:
        found = [
            m
            for m in await asyncio.to_thread(mails_to, local_stack.mail_dir, address)
            if m.get("X-AIHub-Template") == template
        ]
        return found if len(found) >= count else None

    return await eventually(arrived, within=120, what=f"{count} {template} mail(s) to {address}")


async def staff_get(url: str, path: str, params: dict[str, str] | None = None) -> Any:
    """A staff API answer as ops sees it (to compare a page with the service's own word)."""
    async with httpx.AsyncClient(base_url=url, headers=StaffHeaders(OPS), timeout=30) as client:
        response = await client.get(path, params=params)
        response.raise_for_status()
        return response.json()
