"""Environment of the applications service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from aihub_shared.runtime.oidc import OidcSettings
from aihub_shared.runtime.settings import ServiceSettings


class Settings(ServiceSettings, OidcSettings):
    service_name: ClassVar[str] = "applications"

    database_url: SecretStr = Field(validation_alias="APPLICATIONS_DATABASE_URL")
    retention_check_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often applications past their retention are erased."
    )
