"""A person's data here. Erased when the applications service has erased them and named
their applications (`person.erased` from applications), then confirmed; exported for an access
request."""

from __future__ import annotations

import asyncpg
import structlog

from aihub_programs.adapters import erasure
from aihub_programs.service_layer.events import new_event
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.privacy import PersonalDataHeld, PersonErased, PersonRef
from aihub_shared.privacy import forget_published_events
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection

log = structlog.get_logger(__name__)

#: What a legal hold keeps here, and why (see the README, "Legal holds").
HELD = [
    "enrollment: cohort, status, rank, dates, agreement signed at (the signed agreement)",
    "KPI figures under the hashed registration number (the hub's published outcomes)",
]


async def erase_person(conn: DbConnection, event: CloudEvent, erased: PersonErased) -> None:
    if erased.service != "applications" or event.source != "/services/applications":
        return  # another service's confirmation: nothing to do here
    counts = await erasure.erase_enrollments(conn, erased.application_ids)
    counts["published_events"] = await forget_published_events(conn, erased.application_ids)
    confirmation = erased.model_copy(update={"service": "programs", "erased": counts, "held": HELD})
    await outbox.add_events(
        conn,
        [new_event("person.erased", subject=erased.request_id, data=confirmation, caused_by=event)],
    )
    log.info("person erased", request_id=erased.request_id, **counts)


async def export_person(pool: asyncpg.Pool, person: PersonRef) -> PersonalDataHeld:
    """Access requests: this service knows a person only by application id (the applications
    service resolves an address into ids; `aihub-privacy export` passes them on)."""
    ids = list(person.application_ids)
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        records = await erasure.rows_about(conn, ids)
    known = sorted({str(r["application_id"]) for r in records["enrollments"]})
    return PersonalDataHeld(service="programs", application_ids=known, records=records)
