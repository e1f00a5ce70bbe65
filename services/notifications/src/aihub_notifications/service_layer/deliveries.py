"""What staff read of the deliveries: lists with filters, one delivery with its attempts. A
program manager sees only the deliveries about their programs (`domain/access.py`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from aihub_notifications.adapters import queries
from aihub_notifications.domain.access import check_delivery_visible, programs_to_list
from aihub_shared.identity import StaffPrincipal
from aihub_shared.refusals import NotFound

NO_SUCH_DELIVERY = "no such delivery"


@dataclass(frozen=True)
class DeliveryFilter:
    """What a listing asks for; None is no filter."""

    status: str | None = None
    template: str | None = None
    recipient: str | None = None
    event_id: str | None = None
    program_code: str | None = None
    limit: int = 50
    offset: int = 0


async def list_deliveries(
    pool: asyncpg.Pool, staff: StaffPrincipal, wanted: DeliveryFilter
) -> list[dict[str, Any]]:
    """Newest first, among the deliveries the caller may see."""
    programs = programs_to_list(staff, wanted.program_code)
    async with pool.acquire() as conn:
        return await queries.list_deliveries(
            conn,
            status=wanted.status,
            template=wanted.template,
            recipient=wanted.recipient,
            event_id=wanted.event_id,
            program_codes=programs,
            limit=wanted.limit,
            offset=wanted.offset,
        )


async def delivery_detail(
    pool: asyncpg.Pool, staff: StaffPrincipal, delivery_id: uuid.UUID
) -> dict[str, Any]:
    """One delivery with its content and every SMTP attempt (`attempt_log`)."""
    async with pool.acquire() as conn:
        found = await queries.delivery_detail(conn, delivery_id)
    if found is None:
        raise NotFound(NO_SUCH_DELIVERY)
    check_delivery_visible(staff, found["program_code"])
    return found
