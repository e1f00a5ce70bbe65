"""Keycloak's admin API as the invitation worker uses it, signed in as the `aihub-invitations`
client (client credentials; realm-management `view-users` and `manage-users`, nothing more).

Keycloak creates the account and mails the invitation itself (execute-actions-email: set a
password, verify the address), through the realm's SMTP server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

import httpx

INVITATION_ACTIONS = ("UPDATE_PASSWORD", "VERIFY_EMAIL")


class InvitationOutcome(StrEnum):
    INVITED = "invited"
    HAD_ACCOUNT = "had_account"


class IdentityProviderRefused(Exception):
    """Keycloak answered with an error (or not at all); the invitation is retried later."""


@dataclass(frozen=True)
class KeycloakAccountsConfig:
    #: Keycloak's base URL as this service reaches it, e.g. http://keycloak:8080
    base_url: str
    realm: str
    client_id: str
    client_secret: str
    #: How long the invitation link stays valid.
    link_lifespan_seconds: int = 259_200


class KeycloakAccounts:
    def __init__(self, config: KeycloakAccountsConfig, http: httpx.AsyncClient | None = None):
        self.config = config
        self._http = http or httpx.AsyncClient(timeout=15.0)
        self._token = ""
        self._token_expires = 0.0

    async def close(self) -> None:
        await self._http.aclose()

    async def invite(self, email: str, name: str) -> InvitationOutcome:
        """Create the account (if there is none) and have Keycloak mail the invitation. A person
        who already has a password is not invited again."""
        user_id = await self._user_id(email)
        if user_id is None:
            user_id = await self._create(email, name)
        elif await self._has_password(user_id):
            return InvitationOutcome.HAD_ACCOUNT
        # Created by an earlier attempt that did not get to mail (or whose mail we cannot know
        # was sent): mail now. At worst, one invitation twice after a crash right here.
        await self._call(
            "PUT",
            f"/users/{user_id}/execute-actions-email",
            params={
                "lifespan": str(self.config.link_lifespan_seconds),
            },
            json=list(INVITATION_ACTIONS),
        )
        return InvitationOutcome.INVITED

    async def _user_id(self, email: str) -> str | None:
        found = await self._call("GET", "/users", params={"email": email, "exact": "true"})
        users = found.json()
        return str(users[0]["id"]) if users else None

    async def _has_password(self, user_id: str) -> bool:
        credentials = (await self._call("GET", f"/users/{user_id}/credentials")).json()
        return any(c.get("type") == "password" for c in credentials)

    async def _create(self, email: str, name: str) -> str:
        first, _, last = name.strip().partition(" ")
        created = await self._call(
            "POST",
            "/users",
            json={
                "username": email,
                "email": email,
                "enabled": True,
                "emailVerified": False,
                "firstName": first or email,
                "lastName": last.strip() or "-",
                "requiredActions": list(INVITATION_ACTIONS),
            },
            accept=(201, 409),
        )
        user_id = await self._user_id(email)
        if user_id is None:
            raise IdentityProviderRefused(f"{email}: created ({created.status_code}) but not found")
        return user_id

    async def _call(
        self,
        method: str,
        path: str,
        *,
        accept: tuple[int, ...] = (),
        **kwargs: object,
    ) -> httpx.Response:
        url = f"{self.config.base_url.rstrip('/')}/admin/realms/{self.config.realm}{path}"
        headers = {"Authorization": f"Bearer {await self._access_token()}"}
        try:
            response = await self._http.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise IdentityProviderRefused(f"{method} {path}: {exc!r}") from exc
        if response.is_error and response.status_code not in accept:
            raise IdentityProviderRefused(
                f"{method} {path}: HTTP {response.status_code} {response.text[:200]}"
            )
        return response

    async def _access_token(self) -> str:
        if time.monotonic() < self._token_expires - 30:
            return self._token
        url = (
            f"{self.config.base_url.rstrip('/')}/realms/{self.config.realm}"
            "/protocol/openid-connect/token"
        )
        try:
            response = await self._http.post(
                url,
                data={"grant_type": "client_credentials"},
                auth=(self.config.client_id, self.config.client_secret),
            )
        except httpx.HTTPError as exc:
            raise IdentityProviderRefused(f"sign-in of {self.config.client_id}: {exc!r}") from exc
        if response.is_error:
            raise IdentityProviderRefused(
                f"sign-in of {self.config.client_id}: HTTP {response.status_code}"
            )
        body = response.json()
        self._token = str(body["access_token"])
        self._token_expires = time.monotonic() + float(body.get("expires_in", 60))
        return self._token
