"""Environment of the programs service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from aihub_shared.runtime.oidc import OidcSettings
from aihub_shared.runtime.settings import ServiceSettings


class Settings(ServiceSettings, OidcSettings):
    service_name: ClassVar[str] = "programs"

    database_url: SecretStr = Field(validation_alias="PROGRAMS_DATABASE_URL")
    agreement_check_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How often unsigned agreements past their deadline are looked for.",
    )
