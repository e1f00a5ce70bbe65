"""Environment of the applications service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from aihub_shared.runtime.settings import ServiceSettings
from aihub_shared.runtime.staff_tokens import StaffApiSettings


class Settings(ServiceSettings, StaffApiSettings):
    service_name: ClassVar[str] = "applications"

    database_url: SecretStr = Field(validation_alias="APPLICATIONS_DATABASE_URL")
