"""Erasing a person here, when the applications service has erased them (`person.erased` from
applications names their applications and their address's SHA-256); then confirming it."""

from __future__ import annotations

import structlog

from aihub_notifications.adapters import erasure
from aihub_notifications.service_layer.events import new_event
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.privacy import PersonErased
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
