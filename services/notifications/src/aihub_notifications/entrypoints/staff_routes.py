"""HTTP routes of the staff directory and its subscriptions. Who may do what is in
`domain/access.py`; these only parse, call one use case and shape the answer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status

from aihub_notifications.entrypoints.schemas import (
    EmailPath,
    StaffBody,
    StaffView,
    SubscriptionBody,
    SubscriptionsBody,
)
from aihub_notifications.service_layer import directory
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency
from aihub_shared.runtime.http_errors import CHANGE_ERRORS, READ_ONE_ERRORS, error_responses
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


def staff_router(current_staff: StaffDependency, directory_admin: StaffDependency) -> APIRouter:
    router = APIRouter(tags=["staff"])

    @router.get("/staff")
    async def list_staff(
        runtime: ServiceRuntime = Depends(runtime_of),
        _: StaffPrincipal = Depends(directory_admin),
    ) -> list[StaffView]:
        return [StaffView.of(m) for m in await directory.list_staff(runtime.pool)]

    @router.put(
        "/staff/{email}",
        responses={
            201: {"model": StaffView, "description": "Added to the directory."},
            **error_responses(400, 409, 413),
        },
    )
    async def put_staff(
        email: EmailPath,
        body: StaffBody,
        response: Response,
        runtime: ServiceRuntime = Depends(runtime_of),
        _: StaffPrincipal = Depends(directory_admin),
    ) -> StaffView:
        member, created = await directory.put_staff(
            runtime.pool,
            email,
            name=body.name,
            locale=body.locale,
            role=body.role,
            active=body.active,
        )
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return StaffView.of(member)

    @router.delete(
        "/staff/{email}", status_code=status.HTTP_204_NO_CONTENT, responses=READ_ONE_ERRORS
    )
    async def delete_staff(
        email: EmailPath,
        runtime: ServiceRuntime = Depends(runtime_of),
        _: StaffPrincipal = Depends(directory_admin),
    ) -> None:
        await directory.remove_staff(runtime.pool, email)

    @router.get("/staff/{email}/subscriptions", responses=READ_ONE_ERRORS)
    async def get_subscriptions(
        email: EmailPath,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(current_staff),
    ) -> list[SubscriptionBody]:
        return SubscriptionBody.all_of(await directory.subscriptions_of(runtime.pool, staff, email))

    @router.put("/staff/{email}/subscriptions", responses=CHANGE_ERRORS)
    async def put_subscriptions(
        email: EmailPath,
        body: SubscriptionsBody,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(current_staff),
    ) -> list[SubscriptionBody]:
        """Admin and ops replace anyone's subscriptions. A program manager replaces their own,
        for the programs their token names (their other rows stay); the first edit adds them
        to the directory."""
        replaced = await directory.replace_subscriptions(runtime.pool, staff, email, body.wanted())
        return SubscriptionBody.all_of(replaced)

    return router
