"""Settings from environment variables; every service extends `ServiceSettings`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from aihub_shared.runtime.kafka_client import KafkaSettings


class ServiceSettings(KafkaSettings):
    """What every service reads (`KAFKA_*` from `KafkaSettings`). Each subclass adds its
    `database_url` under its own name."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    http_host: str = Field(default="0.0.0.0")
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = Field(default="INFO")
    log_json: bool = Field(default=True)
    consumer_batch_size: int = Field(default=200, ge=1, le=10_000)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_interval_seconds: float = Field(default=1.0, gt=0)
    outbox_retention_days: int = Field(default=7, ge=1)
    inbox_retention_days: int = Field(
        default=35, ge=31, description="Longer than any topic keeps a message (dead letters: 30)."
    )
    retry_later_max_seconds: float = Field(
        default=600.0, gt=0, description="How long a lagging dependency is waited for."
    )
    unexpected_error_max_attempts: int = Field(default=5, ge=1)
    db_pool_max_size: int = Field(
        default=10, ge=2, description="Connections for the consumers, relay, API and workers."
    )
    shutdown_grace_seconds: float = Field(default=15.0, gt=0)
    http_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )

    #: The service's name: its schema, its DB role and its consumer-group prefix.
    service_name: ClassVar[str]
    #: Each service redeclares this under its own variable (`APPLICATIONS_DATABASE_URL`, ...), so
    #: one environment can hold all three without ambiguity.
    database_url: SecretStr

    @property
    def database_dsn(self) -> str:
        return self.database_url.get_secret_value()

    @property
    def pool_max_size(self) -> int:
        """The service's whole pool: `DB_POOL_MAX_SIZE`, plus what workers holding connections
        of their own need (a service that has such workers says so here), so no setting can
        leave the consumers waiting for connections the workers hold."""
        return self.db_pool_max_size
