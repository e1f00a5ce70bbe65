"""Staff accounts of local stacks: the demo accounts `./dev up` prints, and tokens for anyone.

Program managers and reviewers carry no role in their token: what they manage is the catalog's
(`program_managers`), what they review the assignments'. So a demo program manager is one of the
seeded catalog's managers, and `--role reviewer` and `--role program_manager` make the same
account. Passwords here are for local stacks only.
"""

from __future__ import annotations

import hashlib
import threading
import time

import jwt

from aihub_local.keycloak_admin import KeycloakAdmin, LocalUser
from aihub_local.stack import StackEndpoints

#: One account per role; the program manager runs the seeded residency program.
DEMO_ACCOUNTS = (
    LocalUser("admin@hub.example", "admin-local-demo", "Local Admin", ("admin",)),
    LocalUser("ops@hub.example", "ops-local-demo-1", "Local Ops", ("ops",)),
    LocalUser("residency@seoulaihub.kr", "manager-local-demo", "입주지원팀 Manager"),
    LocalUser("reviewer@hub.example", "reviewer-local-demo", "Local Reviewer"),
)
DEMO_ROLE_NAMES = {
    "admin@hub.example": "admin",
    "ops@hub.example": "ops",
    "residency@seoulaihub.kr": "program manager (seeded catalog)",
    "reviewer@hub.example": "reviewer (assigned applications)",
}
#: `--role` values: the realm roles each gives (the others come from the catalog).
REALM_ROLES_OF = {"admin": ("admin",), "ops": ("ops",), "program_manager": (), "reviewer": ()}


def admin_client(endpoints: StackEndpoints) -> KeycloakAdmin:
    return KeycloakAdmin(
        endpoints.keycloak_url, endpoints.keycloak_admin_user, endpoints.keycloak_admin_password
    )


def invitations_client_secret(endpoints: StackEndpoints) -> str:
    """The secret of `aihub-invitations`, the client notifications invites reviewers with."""
    admin = admin_client(endpoints)
    try:
        return admin.client_secret("aihub-invitations")
    finally:
        admin.close()


def ensure_demo_accounts(endpoints: StackEndpoints) -> None:
    admin = admin_client(endpoints)
    try:
        for account in DEMO_ACCOUNTS:
            admin.ensure_user(account)
    finally:
        admin.close()


def local_password(endpoints: StackEndpoints, email: str) -> str:
    """The stack's password for a non-demo local account: stable, so signing in never fails
    (failed sign-ins count towards the realm's brute-force lockout), and unguessable outside the
    stack (derived from its bootstrap admin password)."""
    seed = f"{endpoints.keycloak_admin_password}|{email.lower()}".encode()
    return hashlib.sha256(seed).hexdigest()[:32]


def password_of(endpoints: StackEndpoints, email: str) -> str:
    """The one password a local account has: a demo account's documented one, else the stack's
    derived one. (Two rules for one address would make each sign-in reset the other's password,
    until the realm's password history refuses the reset.)"""
    demo = {a.email: a for a in DEMO_ACCOUNTS}.get(email.lower())
    return demo.password if demo else local_password(endpoints, email)


def local_token(endpoints: StackEndpoints, *, email: str, role: str, name: str = "") -> str:
    """A fresh access token of `email` (created with `role`'s realm roles if needed)."""
    if role not in REALM_ROLES_OF:
        raise ValueError(f"unknown role {role!r}; expected one of {sorted(REALM_ROLES_OF)}")
    demo = {a.email: a for a in DEMO_ACCOUNTS}.get(email.lower())
    display = name or (demo.name if demo else email.split("@")[0].title())
    user = LocalUser(email.lower(), password_of(endpoints, email), display, REALM_ROLES_OF[role])
    admin = admin_client(endpoints)
    try:
        return admin.token_for(user)
    finally:
        admin.close()


class TokenCache:
    """Real access tokens of local accounts, one per account until shortly before it expires:
    the suite asks for thousands, Keycloak mints a few dozen."""

    def __init__(self, endpoints: StackEndpoints) -> None:
        self.endpoints = endpoints
        self._admin = admin_client(endpoints)
        self._tokens: dict[tuple[str, tuple[str, ...]], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, email: str, roles: tuple[str, ...] = (), name: str = "") -> str:
        key = (email.lower(), tuple(sorted(roles)))
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached[1] - time.time() > 60:
                return cached[0]
            display = name or email.split("@")[0].replace(".", " ").title()
            user = LocalUser(email.lower(), password_of(self.endpoints, email), display, roles)
            token = self._admin.token_for(user)
            expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
            self._tokens[key] = (token, expires)
            return token

    def forget(self, email: str) -> None:
        """Drop the cached tokens of `email` (after its roles or state changed in Keycloak)."""
        with self._lock:
            for key in [k for k in self._tokens if k[0] == email.lower()]:
                del self._tokens[key]

    @property
    def admin(self) -> KeycloakAdmin:
        return self._admin
