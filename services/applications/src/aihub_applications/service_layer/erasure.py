"""Erasing a person (PIPA art. 36, GDPR art. 17): this service takes the request, erases its own
copy, and collects every service's confirmation into one receipt.

Why here: a request names a person by address or application id, and only this service can turn
an address into application ids (the applicant's address is part of the submission). It erases
first and publishes `person.erased` with the application ids and the address's SHA-256, which is
all programs and notifications need to find their copies, so the address itself never travels
again. It is also where publishing systems already read their receipts from (`intake.receipts`).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import structlog
from pydantic import BaseModel, Field

from aihub_applications.adapters import erasure
from aihub_applications.service_layer.events import new_event
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.privacy import (
    ERASING_SERVICES,
    ErasureReceipt,
    PersonErased,
    PersonErasureRequested,
)
from aihub_shared.identity import StaffPrincipal
from aihub_shared.privacy import email_sha256, forget_published_events
from aihub_shared.refusals import NotFound
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.errors import RejectedEvent

log = structlog.get_logger(__name__)

#: What this service keeps of an erased application, and why (see the README, "Legal holds").
HELD = [
    "status, stage scores, rank and history shape (selection records)",
    "consent record: text id, version, language, time",
    "registration number as its SHA-256 (duplicate check)",
]


class ErasureStatus(BaseModel):
    """Where an erasure request stands: which services confirmed, and when it completed."""

    request_id: str
    requested_by: str
    applications: int = Field(description="Applications of the person found here.")
    confirmed_by: list[str] = Field(description="Services that confirmed, of the three.")
    requested_at: datetime
    completed_at: datetime | None = Field(description="When the last service confirmed.")


def http_source(staff: StaffPrincipal) -> str:
    return f"/http/{staff.id}"


async def receive_request(
    conn: DbConnection, event: CloudEvent, request: PersonErasureRequested
) -> None:
    """The Kafka door (`intake.erasure-requests`)."""
    await take_request(conn, event.source, request, caused_by=event)


async def request_over_http(
    pool: asyncpg.Pool, request: PersonErasureRequested, *, staff: StaffPrincipal
) -> ErasureStatus:
    """The admin's door: the same request, named `/http/<admin>`."""
    async with pool.acquire() as conn, conn.transaction():
        return await take_request(conn, http_source(staff), request, caused_by=None)


async def take_request(
    conn: DbConnection,
    requested_by: str,
    request: PersonErasureRequested,
    *,
    caused_by: CloudEvent | None,
) -> ErasureStatus:
    """Erase this service's copy and ask the others to erase theirs, once per request: the same
    request again changes nothing and answers where it stands."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))", f"erasure:{requested_by}:{request.request_id}"
    )
    existing = await erasure.find(conn, requested_by, request.request_id)
    if existing is None:
        await _erase(conn, requested_by, request, caused_by)
        existing = await erasure.find(conn, requested_by, request.request_id)
    assert existing is not None
    return _status(existing)


async def _erase(
    conn: DbConnection,
    requested_by: str,
    request: PersonErasureRequested,
    caused_by: CloudEvent | None,
) -> None:
    ids = await erasure.applications_of(conn, request.email, list(request.application_ids))
    addresses = await erasure.contact_addresses(conn, ids)
    if request.email:
        addresses = sorted({*addresses, request.email.lower()})
    counts = await erasure.anonymise(conn, ids, addresses)
    counts["published_events"] = await forget_published_events(conn, [*map(str, ids), *addresses])
    application_ids = sorted({*map(str, ids), *request.application_ids})
    digest = email_sha256(request.email) if request.email else None
    await erasure.insert(
        conn,
        requested_by=requested_by,
        request_id=request.request_id,
        application_ids=application_ids,
        email_sha256=digest,
    )
    erased = PersonErased(
        request_id=request.request_id,
        requested_by=requested_by,
        service="applications",
        application_ids=application_ids,
        email_sha256=digest,
        erased=counts,
        held=HELD,
    )
    await outbox.add_events(
        conn,
        [new_event("person.erased", subject=request.request_id, data=erased, caused_by=caused_by)],
    )
    log.info("person erased", request_id=request.request_id, applications=len(ids))


async def collect_confirmation(conn: DbConnection, event: CloudEvent, erased: PersonErased) -> None:
    """A service confirmed (this one's own confirmation too, as it came back from Kafka): when
    all three have, the requester gets its receipt, once."""
    if event.source != f"/services/{erased.service}":
        raise RejectedEvent(f"{event.source} cannot confirm for the {erased.service} service")
    record = await erasure.find(conn, erased.requested_by, erased.request_id)
    if record is None:
        raise RejectedEvent(f"no erasure request {erased.request_id} from {erased.requested_by}")
    if record.completed_at is not None or erased.service in record.confirmations:
        return
    confirmation = {"erased": erased.erased, "held": erased.held}
    await erasure.confirm(
        conn, erased.requested_by, erased.request_id, erased.service, confirmation
    )
    confirmed = {*record.confirmations, erased.service}
    if not confirmed.issuperset(ERASING_SERVICES):
        return
    completed_at = await erasure.complete(conn, erased.requested_by, erased.request_id)
    receipt = ErasureReceipt(
        request_id=erased.request_id,
        submitted_by=erased.requested_by,
        outcome="erased",
        services=list(ERASING_SERVICES),
        applications=len(record.application_ids),
        completed_at=completed_at,
    )
    await outbox.add_events(
        conn,
        [new_event("erasure.receipt", subject=erased.request_id, data=receipt, caused_by=event)],
    )
    log.info("erasure complete", request_id=erased.request_id)


async def erasure_status(
    pool: asyncpg.Pool, request_id: str, *, requested_by: str
) -> ErasureStatus:
    async with pool.acquire() as conn, conn.transaction():
        record = await erasure.find(conn, requested_by, request_id)
    if record is None:
        raise NotFound(f"no erasure request {request_id} from {requested_by}")
    return _status(record)


def _status(record: erasure.ErasureRecord) -> ErasureStatus:
    return ErasureStatus(
        request_id=record.request_id,
        requested_by=record.requested_by,
        applications=len(record.application_ids),
        confirmed_by=sorted(record.confirmations),
        requested_at=record.requested_at,
        completed_at=record.completed_at,
    )
