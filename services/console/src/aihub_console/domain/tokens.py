"""When the person's tokens need refreshing. Pure: the clock is passed in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Refresh this long before the access token expires, so a call never carries one that expires
#: on its way (Keycloak's access tokens live 5 minutes).
REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    #: Epoch seconds.
    expires_at: float
    refresh_expires_at: float | None

    def needs_refresh(self, now: float) -> bool:
        return self.expires_at - now <= REFRESH_MARGIN_SECONDS

    def can_refresh(self, now: float) -> bool:
        return self.refresh_token is not None and (
            self.refresh_expires_at is None or self.refresh_expires_at > now
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
            "expires_at": self.expires_at,
            "refresh_expires_at": self.refresh_expires_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tokens:
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            id_token=data.get("id_token"),
            expires_at=float(data["expires_at"]),
            refresh_expires_at=(
                float(data["refresh_expires_at"]) if data.get("refresh_expires_at") else None
            ),
        )

    @classmethod
    def from_token_response(
        cls, token: dict[str, Any], now: float, previous: Tokens | None = None
    ) -> Tokens:
        """From the provider's token answer (authlib's `OAuth2Token`); a refresh answer may omit
        the ID token or a new refresh token, so those are kept from `previous`."""
        expires_at = float(token.get("expires_at") or now + float(token.get("expires_in", 0)))
        refresh_in = token.get("refresh_expires_in")
        return cls(
            access_token=str(token["access_token"]),
            refresh_token=token.get("refresh_token")
            or (previous.refresh_token if previous else None),
            id_token=token.get("id_token") or (previous.id_token if previous else None),
            expires_at=expires_at,
            refresh_expires_at=now + float(refresh_in) if refresh_in else None,
        )
