"""HTTP routes of the deliveries: lists, one with its attempts, resends. Which deliveries a
caller sees is in `domain/access.py`; these only parse, call one use case and shape the answer."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, status

from aihub_notifications.entrypoints.schemas import (
    DeliveryDetail,
    DeliveryStatus,
    DeliverySummary,
    Resent,
)
from aihub_notifications.service_layer import deliveries
from aihub_notifications.service_layer.resend import resend
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency
from aihub_shared.runtime.http_errors import READ_ONE_ERRORS, error_responses
from aihub_shared.runtime.http_params import MAX_OFFSET, NO_NUL_PATTERN
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


def delivery_router(delivery_reader: StaffDependency) -> APIRouter:
    router = APIRouter(tags=["deliveries"])

    @router.get("/deliveries", response_model=list[DeliverySummary])
    async def list_deliveries(
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(delivery_reader),
        status_: DeliveryStatus | None = Query(default=None, alias="status"),
        template: str | None = Query(default=None, max_length=64, pattern=NO_NUL_PATTERN),
        recipient: str | None = Query(default=None, max_length=254, pattern=NO_NUL_PATTERN),
        event_id: str | None = Query(default=None, max_length=128, pattern=NO_NUL_PATTERN),
        program_code: str | None = Query(default=None, max_length=64, pattern=NO_NUL_PATTERN),
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        wanted = deliveries.DeliveryFilter(
            status=status_,
            template=template,
            recipient=recipient,
            event_id=event_id,
            program_code=program_code,
            limit=limit,
            offset=offset,
        )
        return await deliveries.list_deliveries(runtime.pool, staff, wanted)

    @router.get(
        "/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=READ_ONE_ERRORS
    )
    async def get_delivery(
        delivery_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(delivery_reader),
    ) -> dict[str, Any]:
        """One delivery with its content and every SMTP attempt (`attempt_log`)."""
        return await deliveries.delivery_detail(runtime.pool, staff, delivery_id)

    @router.post(
        "/deliveries/{delivery_id}/resend",
        status_code=status.HTTP_201_CREATED,
        responses=error_responses(404, 409),
    )
    async def resend_delivery(
        delivery_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(delivery_reader),
    ) -> Resent:
        """Send a sent or failed mail again, as a new delivery (new Message-ID) that records
        the original and who asked."""
        new_id = await resend(runtime.pool, staff, delivery_id)
        return Resent(id=new_id, resend_of=delivery_id)

    return router
