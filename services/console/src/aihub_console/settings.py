"""The console's settings, from environment variables only (the services' convention).

The console has no Kafka and no business data, so it does not extend the services'
`ServiceSettings`; what it shares with them (HTTP listener, logs, pool size) keeps their names.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from aihub_console.adapters.session_seal import check_key


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    console_base_url: str = Field(
        default="http://127.0.0.1:8010",
        description="Where people reach the console: sign-in redirects, mail links, the Origin "
        "every state-changing request must come from.",
    )
    console_database_url: SecretStr = Field(
        description="`postgresql://console:…@host:5432/aihub`: its own role and schema (sessions)."
    )
    applications_url: str = Field(default="http://127.0.0.1:8001")
    programs_url: str = Field(default="http://127.0.0.1:8002")
    notifications_url: str = Field(default="http://127.0.0.1:8003")
    service_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    oidc_issuer_url: str = Field(description="The provider's issuer (browser-facing address).")
    oidc_internal_url: str | None = Field(
        default=None,
        description="Base URL by which the console's server reaches the provider when it differs "
        "from the issuer's (compose: http://keycloak:8080); discovery, token and key calls go "
        "there, the browser still goes to the issuer.",
    )
    oidc_client_id: str = Field(default="aihub-console", min_length=1)
    oidc_client_secret: SecretStr = Field(description="The confidential client's secret.")
    oidc_scopes: str = Field(default="openid profile email")

    session_cookie_secure: bool = Field(
        default=True, description="`Secure` cookie; turn off only for local plain http."
    )
    session_encryption_keys: SecretStr | None = Field(
        default=None,
        description="Keys sealing session data at rest (Fernet: `aihub-console new-session-key`),"
        " comma-separated; the first seals, every one opens (rotation). Or the file below.",
    )
    session_encryption_keys_file: Path | None = Field(
        default=None,
        description="A file holding those keys (a Docker or Kubernetes secret), read at start.",
    )
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=10, ge=1, le=7 * 24)

    http_host: str = Field(default="0.0.0.0")
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = Field(default="INFO")
    log_json: bool = Field(default=True)
    db_pool_max_size: int = Field(default=10, ge=2)

    @field_validator(
        "console_base_url",
        "applications_url",
        "programs_url",
        "notifications_url",
        "oidc_issuer_url",
    )
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("an http(s) URL is required")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _keys_given_once(self) -> ConsoleSettings:
        if (self.session_encryption_keys is None) == (self.session_encryption_keys_file is None):
            raise ValueError(
                "give SESSION_ENCRYPTION_KEYS or SESSION_ENCRYPTION_KEYS_FILE (exactly one)"
            )
        if self.session_encryption_keys is not None:
            _parse_keys(self.session_encryption_keys.get_secret_value())
        return self

    def session_keys(self) -> list[str]:
        """The keys, newest first (the file, if named, is read now)."""
        if self.session_encryption_keys is not None:
            return _parse_keys(self.session_encryption_keys.get_secret_value())
        assert self.session_encryption_keys_file is not None
        return _parse_keys(self.session_encryption_keys_file.read_text(encoding="utf-8"))

    @property
    def database_dsn(self) -> str:
        return self.console_database_url.get_secret_value()

    @property
    def console_origin(self) -> str:
        """`scheme://host[:port]` of the console, as browsers send it in `Origin`."""
        parts = urlsplit(self.console_base_url)
        return f"{parts.scheme}://{parts.netloc}"


def _parse_keys(text: str) -> list[str]:
    keys = [key.strip() for key in text.replace("\n", ",").split(",") if key.strip()]
    if not keys:
        raise ValueError("no session encryption key given")
    for key in keys:
        check_key(key)
    return keys
