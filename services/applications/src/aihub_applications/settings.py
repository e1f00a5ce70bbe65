"""Environment of the applications service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from aihub_shared.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "applications"

    database_url: SecretStr = Field(validation_alias="APPLICATIONS_DATABASE_URL")
    staff_api_token: SecretStr = Field(
        validation_alias="STAFF_API_TOKEN",
        min_length=16,
        description="Bearer token of staff for the HTTP API (roles arrive with the review issue).",
    )
