"""A person's data here. Erased when the applications service has erased them
(`person.erased` from applications names their applications and their address's SHA-256),
then confirmed; exported for an access request."""

from __future__ import annotations

import asyncpg
import structlog

from aihub_notifications.adapters import erasure
from aihub_notifications.service_layer.events import new_event
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.privacy import PersonalDataHeld, PersonErased, PersonRef
from aihub_shared.privacy import forget_published_events
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection

log = structlog.get_logger(__name__)

#: What a legal hold keeps here, and why (see the README, "Legal holds").
HELD = ["delivery rows without address or content: template, status, times (the counts)"]


async def erase_person(conn: DbConnection, event: CloudEvent, erased: PersonErased) -> None:
    if erased.service != "applications" or event.source != "/services/applications":
        return  # another service's confirmation: nothing to do here
    addresses, names = await erasure.person_of(conn, erased.application_ids, erased.email_sha256)
    counts = await erasure.erase(conn, erased.application_ids, addresses, names)
    counts["published_events"] = await forget_published_events(
        conn, [*erased.application_ids, *addresses]
    )
    confirmation = erased.model_copy(
        update={"service": "notifications", "erased": counts, "held": HELD}
    )
    await outbox.add_events(
        conn,
        [new_event("person.erased", subject=erased.request_id, data=confirmation, caused_by=event)],
    )
    log.info("person erased", request_id=erased.request_id, **counts)


async def export_person(pool: asyncpg.Pool, person: PersonRef) -> PersonalDataHeld:
    """Access requests: the replica of the person's applications and every mail to them."""
    addresses = [person.email.lower()] if person.email else []
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        records = await erasure.rows_about(conn, person.application_ids, addresses)
    known = sorted(r["application_id"] for r in records["applicants"])
    return PersonalDataHeld(service="notifications", application_ids=known, records=records)
