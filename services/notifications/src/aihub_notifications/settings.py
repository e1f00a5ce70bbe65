"""Environment of the notifications service."""

from __future__ import annotations

from datetime import time, timedelta
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator

from aihub_notifications.domain.console_links import DEFAULT_CONSOLE_BASE_URL
from aihub_notifications.domain.reminders import parse_offsets
from aihub_shared.runtime.oidc import OidcSettings
from aihub_shared.runtime.settings import ServiceSettings


class Settings(ServiceSettings, OidcSettings):
    service_name: ClassVar[str] = "notifications"

    database_url: SecretStr = Field(validation_alias="NOTIFICATIONS_DATABASE_URL")
    smtp_host: str = Field(default="127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_username: str | None = Field(default=None, validation_alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, validation_alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=False, validation_alias="SMTP_STARTTLS")
    smtp_ca_file: str | None = Field(
        default=None,
        validation_alias="SMTP_CA_FILE",
        description="CA bundle for the server's STARTTLS certificate; the system's when unset.",
    )
    smtp_timeout_seconds: float = Field(default=15.0, gt=0, validation_alias="SMTP_TIMEOUT_SECONDS")
    mail_from: str = Field(
        default="Seoul AI Hub <no-reply@seoulaihub.kr>", validation_alias="MAIL_FROM"
    )
    smtp_connections: int = Field(
        default=1,
        ge=1,
        le=16,
        validation_alias="SMTP_CONNECTIONS",
        description="Parallel SMTP connections (one sender each); above 1, two mails to one"
        " recipient may arrive in either order.",
    )

    @property
    def pool_max_size(self) -> int:
        """Two connections more for each sender: it holds its claim's and its attempts' while
        batches come back full (`service_layer/sender.py`)."""
        return self.db_pool_max_size + 2 * self.smtp_connections

    mail_batch_size: int = Field(default=50, ge=1, validation_alias="MAIL_BATCH_SIZE")
    mail_poll_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        validation_alias="MAIL_POLL_INTERVAL_SECONDS",
        description="Fallback when a NOTIFY is missed; also when retries fall due.",
    )
    mail_retry_base_seconds: float = Field(
        default=30.0, gt=0, validation_alias="MAIL_RETRY_BASE_SECONDS"
    )
    mail_retry_max_seconds: float = Field(
        default=3600.0, gt=0, validation_alias="MAIL_RETRY_MAX_SECONDS"
    )
    dead_letter_alert_window_seconds: float = Field(
        default=300.0,
        gt=0,
        validation_alias="DEAD_LETTER_ALERT_WINDOW_SECONDS",
        description="At most one dead-letter alert per ops subscriber per window.",
    )
    digest_time: time = Field(
        default=time(8, 0),
        validation_alias="DIGEST_TIME",
        description="When the program managers' daily digest goes out, Asia/Seoul (HH:MM).",
    )
    digest_enabled: bool = Field(default=True, validation_alias="DIGEST_ENABLED")
    review_reminder_offsets: str = Field(
        default="48h,24h",
        validation_alias="REVIEW_REMINDER_OFFSETS",
        description="How long before an assignment's due time its unscored reviewer is reminded:"
        " comma-separated offsets with a unit (m, h, d), e.g. `48h,24h`; empty: no reminders.",
    )
    review_reminder_poll_seconds: float = Field(
        default=60.0,
        gt=0,
        validation_alias="REVIEW_REMINDER_POLL_SECONDS",
        description="How often the reminder worker looks for reminders that have fallen due.",
    )
    console_base_url: str = Field(
        default=DEFAULT_CONSOLE_BASE_URL,
        pattern=r"^https?://[^\s?#]+$",
        validation_alias="CONSOLE_BASE_URL",
        description="The staff console's address as staff open it: every staff mail links to"
        " its page there.",
    )
    invitations_client_id: str = Field(
        default="aihub-invitations", validation_alias="INVITATIONS_CLIENT_ID"
    )
    invitations_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias="INVITATIONS_CLIENT_SECRET",
        description="Secret of the Keycloak client that invites reviewers; unset: nobody is "
        "invited (requests wait in reviewer_invitations until it is set).",
    )
    invitations_keycloak_url: str | None = Field(
        default=None,
        validation_alias="INVITATIONS_KEYCLOAK_URL",
        description="Keycloak's base URL as this service reaches it; default: the issuer's.",
    )
    invitations_retry_base_seconds: float = Field(
        default=10.0, gt=0, validation_alias="INVITATIONS_RETRY_BASE_SECONDS"
    )
    invitations_retry_max_seconds: float = Field(
        default=600.0, gt=0, validation_alias="INVITATIONS_RETRY_MAX_SECONDS"
    )

    @field_validator("review_reminder_offsets")
    @classmethod
    def _offsets_parse(cls, value: str) -> str:
        parse_offsets(value)  # a typo is refused at start, with the offending part
        return value

    def reminder_offsets(self) -> tuple[timedelta, ...]:
        return parse_offsets(self.review_reminder_offsets)

    def keycloak_base_and_realm(self) -> tuple[str, str]:
        """Keycloak's base URL and the realm, from the issuer `<base>/realms/<realm>`."""
        issuer_base, _, realm = self.oidc_issuer_url.rstrip("/").rpartition("/realms/")
        return (self.invitations_keycloak_url or issuer_base), realm
