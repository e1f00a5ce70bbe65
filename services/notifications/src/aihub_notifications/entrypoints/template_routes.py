"""HTTP routes of the templates: which exist, and each previewed with sample data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.entrypoints.schemas import Preview
from aihub_notifications.service_layer import previews
from aihub_shared.contracts.values import Locale
from aihub_shared.runtime.http_errors import READ_ONE_ERRORS


def template_router(renderer: MailRenderer) -> APIRouter:
    router = APIRouter(tags=["templates"])

    @router.get("/templates")
    async def list_templates() -> dict[str, list[str]]:
        """Template name → the languages it is written in."""
        return previews.template_languages(renderer)

    @router.get("/templates/{template}/preview", responses=READ_ONE_ERRORS)
    async def preview_template(
        template: Annotated[str, Path(max_length=64, pattern=r"^[a-z_]+$")],
        locale: Locale = Query(default="ko"),
    ) -> Preview:
        """The template rendered with sample data (the same the golden-file tests use)."""
        return Preview.of(previews.preview(renderer, template, locale))

    return router
