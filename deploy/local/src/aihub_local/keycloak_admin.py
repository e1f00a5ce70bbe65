"""Keycloak's admin REST API for local stacks: the dev client, demo and test users, their tokens.

Local and test use only: it signs in as the stack's bootstrap admin (``master`` realm) and gets
staff tokens with the password grant of ``aihub-dev``, a public client that exists only in local
stacks (``ensure_dev_client``, run by the launcher), never in ``deploy/keycloak/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

REALM = "aihub"
DEV_CLIENT = "aihub-dev"
STAFF_AUDIENCE = "aihub-staff-api"
#: Realm roles a token can carry; everything else (program manager, reviewer) is the catalog's.
GLOBAL_ROLES = ("admin", "ops")


class KeycloakAdminError(RuntimeError):
    """Keycloak refused an admin call."""


@dataclass(frozen=True)
class LocalUser:
    email: str
    password: str
    name: str
    roles: tuple[str, ...] = ()


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.is_error:
        raise KeycloakAdminError(f"{what}: HTTP {response.status_code} {response.text[:300]}")


class KeycloakAdmin:
    """A small synchronous admin client (the launcher and the test helpers are synchronous)."""

    def __init__(self, base_url: str, username: str, password: str, realm: str = REALM) -> None:
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        self._username = username
        self._password = password
        self._token = ""
        self._token_expires = 0.0
        self._http = httpx.Client(timeout=30.0)

    def close(self) -> None:
        self._http.close()

    # -- plumbing ----------------------------------------------------------------------------

    def _admin_token(self) -> str:
        if time.monotonic() < self._token_expires - 10:
            return self._token
        response = self._http.post(
            f"{self.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self._username,
                "password": self._password,
            },
        )
        _raise_for(response, "admin sign-in")
        body = response.json()
        self._token = str(body["access_token"])
        self._token_expires = time.monotonic() + float(body.get("expires_in", 60))
        return self._token

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One admin API call below ``/admin/realms/<realm>``."""
        headers = {"Authorization": f"Bearer {self._admin_token()}"}
        url = f"{self.base_url}/admin/realms/{self.realm}{path}".rstrip("/")
        return self._http.request(method, url, headers=headers, **kwargs)

    # -- clients -----------------------------------------------------------------------------

    def client_uuid(self, client_id: str) -> str | None:
        response = self.call("GET", "/clients", params={"clientId": client_id})
        _raise_for(response, f"look up client {client_id}")
        found = response.json()
        return str(found[0]["id"]) if found else None

    def client_secret(self, client_id: str) -> str:
        uuid = self.client_uuid(client_id)
        if uuid is None:
            raise KeycloakAdminError(f"no client {client_id} in realm {self.realm}")
        response = self.call("GET", f"/clients/{uuid}/client-secret")
        _raise_for(response, f"read the secret of {client_id}")
        return str(response.json()["value"])

    def ensure_dev_client(self, client_id: str = DEV_CLIENT, **attributes: str) -> None:
        """The public client whose password grant gives local demo and test users a token
        (`attributes`: e.g. ``access.token.lifespan`` of a test's own client)."""
        if self.client_uuid(client_id) is not None:
            return
        client = {
            "clientId": client_id,
            "name": "Local development and tests only",
            "attributes": attributes,
            "publicClient": True,
            "standardFlowEnabled": False,
            "directAccessGrantsEnabled": True,
            "defaultClientScopes": ["basic", "profile", "email", "roles"],
            "protocolMappers": [
                {
                    "name": f"{STAFF_AUDIENCE} audience",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {
                        "included.custom.audience": STAFF_AUDIENCE,
                        "access.token.claim": "true",
                    },
                }
            ],
        }
        response = self.call("POST", "/clients", json=client)
        if response.status_code != 409:  # created meanwhile by a parallel launcher
            _raise_for(response, f"create client {client_id}")

    def allow_redirects_to(self, client_id: str, base_url: str) -> None:
        """Let `client_id` send browsers back to `base_url` (sign-in and sign-out), next to the
        addresses it already allows: a local console on a port other than the realm's 8010."""
        uuid = self.client_uuid(client_id)
        if uuid is None:
            raise KeycloakAdminError(f"no client {client_id} in realm {self.realm}")
        response = self.call("GET", f"/clients/{uuid}")
        _raise_for(response, f"read client {client_id}")
        client = response.json()
        pattern = f"{base_url.rstrip('/')}/*"
        redirects = list(client.get("redirectUris", []))
        attributes = dict(client.get("attributes", {}))
        logouts = [u for u in attributes.get("post.logout.redirect.uris", "").split("##") if u]
        if pattern in redirects and pattern in logouts:
            return
        attributes["post.logout.redirect.uris"] = "##".join(sorted({*logouts, pattern}))
        update = {"redirectUris": sorted({*redirects, pattern}), "attributes": attributes}
        response = self.call("PUT", f"/clients/{uuid}", json={**client, **update})
        _raise_for(response, f"allow {base_url} for client {client_id}")

    def set_smtp_server(self, host: str, port: int) -> None:
        response = self.call("GET", "")
        _raise_for(response, "read the realm")
        smtp = {**response.json().get("smtpServer", {}), "host": host, "port": str(port)}
        response = self.call("PUT", "", json={"smtpServer": smtp})
        _raise_for(response, "set the realm's SMTP server")

    # -- realms (tests that must not disturb the shared realm: key rotation) -------------------

    def create_realm(self, name: str) -> KeycloakAdmin:
        """A new, empty realm with the dev client and the two global roles; its admin client."""
        response = self._http.post(
            f"{self.base_url}/admin/realms",
            headers={"Authorization": f"Bearer {self._admin_token()}"},
            json={
                "realm": name,
                "enabled": True,
                "roles": {"realm": [{"name": role} for role in GLOBAL_ROLES]},
            },
        )
        _raise_for(response, f"create realm {name}")
        realm = KeycloakAdmin(self.base_url, self._username, self._password, realm=name)
        realm.ensure_dev_client()
        return realm

    def delete_realm(self) -> None:
        if self.realm == REALM:
            raise KeycloakAdminError(f"refusing to delete the platform's realm {REALM}")
        _raise_for(self.call("DELETE", ""), f"delete realm {self.realm}")

    def add_signing_key(self, name: str, priority: int) -> None:
        """A new generated RS256 key; the highest priority signs new tokens (a key rotation)."""
        realm_id = self.call("GET", "").json()["id"]
        component = {
            "name": name,
            "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": realm_id,
            "config": {"priority": [str(priority)], "algorithm": ["RS256"], "keySize": ["2048"]},
        }
        _raise_for(self.call("POST", "/components", json=component), f"add key {name}")

    # -- users -------------------------------------------------------------------------------

    def user_id(self, email: str) -> str | None:
        response = self.call("GET", "/users", params={"email": email.lower(), "exact": "true"})
        _raise_for(response, f"look up {email}")
        found = response.json()
        return str(found[0]["id"]) if found else None

    def ensure_user(self, user: LocalUser) -> str:
        """Create (or update) a ready-to-use local user: verified, enabled, these realm roles (the
        password is set when the user is created)."""
        # The realm's user profile requires both names; a one-word name keeps "-" as surname.
        first, _, last = user.name.strip().partition(" ")
        representation = {
            "username": user.email.lower(),
            "email": user.email.lower(),
            "emailVerified": True,
            "enabled": True,
            "firstName": first,
            "lastName": last.strip() or "-",
            "requiredActions": [],
        }
        user_id = self.user_id(user.email)
        if user_id is None:
            credentials = [{"type": "password", "value": user.password, "temporary": False}]
            response = self.call(
                "POST", "/users", json={**representation, "credentials": credentials}
            )
            if response.status_code != 409:
                _raise_for(response, f"create {user.email}")
            user_id = self.user_id(user.email)
            if user_id is None:
                raise KeycloakAdminError(f"{user.email} was created but cannot be found")
        else:
            response = self.call("PUT", f"/users/{user_id}", json=representation)
            _raise_for(response, f"update {user.email}")
        self._set_realm_roles(user_id, user.roles)
        return user_id

    def _set_realm_roles(self, user_id: str, roles: Iterable[str]) -> None:
        wanted = set(roles)
        unknown = wanted - set(GLOBAL_ROLES)
        if unknown:
            raise ValueError(f"unknown realm roles {sorted(unknown)}; expected {GLOBAL_ROLES}")
        response = self.call("GET", f"/users/{user_id}/role-mappings/realm")
        _raise_for(response, "read role mappings")
        current = {r["name"]: r for r in response.json() if r["name"] in GLOBAL_ROLES}
        to_remove = [r for name, r in current.items() if name not in wanted]
        to_add = []
        for name in wanted - set(current):
            found = self.call("GET", f"/roles/{name}")
            _raise_for(found, f"read realm role {name}")
            to_add.append(found.json())
        if to_remove:
            gone = self.call("DELETE", f"/users/{user_id}/role-mappings/realm", json=to_remove)
            _raise_for(gone, "remove realm roles")
        if to_add:
            added = self.call("POST", f"/users/{user_id}/role-mappings/realm", json=to_add)
            _raise_for(added, "add realm roles")

    def set_password(self, user_id: str, password: str) -> None:
        response = self.call(
            "PUT",
            f"/users/{user_id}/reset-password",
            json={"type": "password", "value": password, "temporary": False},
        )
        _raise_for(response, "set a password")

    def set_enabled(self, email: str, enabled: bool) -> None:
        user_id = self.user_id(email)
        if user_id is None:
            raise KeycloakAdminError(f"no user {email}")
        response = self.call("PUT", f"/users/{user_id}", json={"enabled": enabled})
        _raise_for(response, f"enable={enabled} {email}")

    # -- tokens ------------------------------------------------------------------------------

    def password_grant(
        self, email: str, password: str, client_id: str = DEV_CLIENT
    ) -> httpx.Response:
        """The token endpoint's answer to a public client's password grant (not raised)."""
        return self._http.post(
            f"{self.base_url}/realms/{self.realm}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": client_id,
                "username": email.lower(),
                "password": password,
                "scope": "openid",
            },
        )

    def token_for(self, user: LocalUser) -> str:
        """Ensure the local user exists as described, then sign them in: an access token."""
        user_id = self.ensure_user(user)
        response = self.password_grant(user.email, user.password)
        if response.status_code == 401:  # an existing user with another password: reset it
            self.set_password(user_id, user.password)
            response = self.password_grant(user.email, user.password)
        _raise_for(response, f"sign in {user.email}")
        return str(response.json()["access_token"])
