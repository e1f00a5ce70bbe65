"""HTTP API for staff (OpenAPI at /docs): the staff directory and subscriptions, deliveries with
their attempts, resends, template previews.

Who may do what: admin and ops manage the directory and see every delivery; a program manager
edits their own subscriptions (for the programs their token names) and sees the deliveries about
those programs; every staff member may preview templates. The role checks are the dependencies
below; the finer rules are `domain/access.py`, applied by the service layer.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from aihub_notifications.adapters.replicas import managed_programs
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.entrypoints.delivery_routes import delivery_router
from aihub_notifications.entrypoints.staff_routes import staff_router
from aihub_notifications.entrypoints.template_routes import template_router
from aihub_notifications.service_layer.erasure import export_person
from aihub_notifications.settings import Settings
from aihub_shared.identity import Role
from aihub_shared.runtime.http_auth import require_role, staff_principal
from aihub_shared.runtime.http_errors import STAFF_ROUTE_ERRORS
from aihub_shared.runtime.ops_routes import ops_router
from aihub_shared.runtime.privacy_routes import add_export_route


def build_router(settings: Settings, renderer: MailRenderer) -> APIRouter:
    current_staff = staff_principal(settings, managed_programs)
    router = APIRouter(dependencies=[Depends(current_staff)], responses=STAFF_ROUTE_ERRORS)
    router.include_router(
        staff_router(current_staff, directory_admin=require_role(current_staff, Role.OPS))
    )
    router.include_router(
        delivery_router(require_role(current_staff, Role.OPS, Role.PROGRAM_MANAGER))
    )
    router.include_router(template_router(renderer))
    router.include_router(ops_router(current_staff))
    add_export_route(router, current_staff, export_person)
    return router
