"""Staff tokens from the real Keycloak of the test stack, verified by the shared verifier: what
is accepted, what is refused (401 with a reason), key rotation without a restart, and the FastAPI
dependencies' 401/403/503 answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import Depends, FastAPI

from aihub_local.keycloak_admin import LocalUser
from aihub_local.stack import StackEndpoints
from aihub_local.staff_accounts import local_password
from aihub_local.testing import eventually, keycloak_admin, staff_token
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role, staff_principal
from aihub_shared.runtime.http_errors import answer_refusals
from aihub_shared.runtime.oidc import InvalidStaffToken, OidcSettings, OidcVerifier

pytestmark = pytest.mark.integration


def settings_for(endpoints: StackEndpoints, **overrides: Any) -> OidcSettings:
    return OidcSettings.model_validate({"OIDC_ISSUER_URL": endpoints.oidc_issuer_url, **overrides})


@pytest.fixture
async def verifier(local_stack: StackEndpoints) -> AsyncIterator[OidcVerifier]:
    checker = OidcVerifier(settings_for(local_stack))
    yield checker
    await checker.jwks.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return header, claims


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


async def test_a_keycloak_token_names_the_person_and_their_global_role(
    verifier: OidcVerifier,
) -> None:
    admin = await verifier.verify(staff_token("Boss@Hub.example", ("admin", "ops")))
    assert (admin.id, admin.global_role) == ("boss@hub.example", Role.ADMIN)
    ops = await verifier.verify(staff_token("ops-person@hub.example", ("ops",)))
    assert ops.global_role is Role.OPS
    plain = await verifier.verify(staff_token("someone@hub.example"))
    assert plain.global_role is None  # a program manager or a reviewer: the catalog decides


async def test_the_portal_signs_in_with_client_credentials_as_ops(
    verifier: OidcVerifier, local_stack: StackEndpoints
) -> None:
    """The publishing systems' HTTP door: the portal's own client, no person, realm role ops."""
    secret = keycloak_admin().client_secret("aihub-portal")
    async with httpx.AsyncClient(timeout=15) as client:
        answer = await client.post(
            f"{local_stack.oidc_issuer_url}/protocol/openid-connect/token",
            data={"grant_type": "client_credentials"},
            auth=("aihub-portal", secret),
        )
    assert answer.status_code == 200, answer.text
    portal = await verifier.verify(answer.json()["access_token"])
    assert (portal.id, portal.global_role) == ("aihub-portal", Role.OPS)


async def test_forged_tokens_are_refused_with_a_reason(verifier: OidcVerifier) -> None:
    real = staff_token("forger@hub.example", ("admin",))
    header, claims = _parts(real)
    realm_key = await verifier.jwks.key(header["kid"])  # the realm's public key, from its JWKS
    public_pem = realm_key.key.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    hs_header = {**header, "alg": "HS256"}
    signing_input = f"{_b64(json.dumps(hs_header).encode())}.{_b64(json.dumps(claims).encode())}"
    hs_signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    cases = {
        "unsigned": (_unsigned({**header, "alg": "none"}, claims), "'none'"),
        "hs256-with-the-public-key": (f"{signing_input}.{_b64(hs_signature)}", "'HS256'"),
        "unknown-kid": (
            _unsigned({**header, "kid": "made-up"}, claims, b"x" * 256),
            "not one of the issuer's",
        ),
        "tampered-claims": (
            ".".join(
                [
                    real.split(".")[0],
                    _b64(json.dumps({**claims, "email": "x@y.z"}).encode()),
                    real.split(".")[2],
                ]
            ),
            "signature",
        ),
        "garbage": ("not-a-jwt", "not a signed JWT"),
    }
    for token, reason in cases.values():
        with pytest.raises(InvalidStaffToken, match=reason):
            await verifier.verify(token)


async def test_issuer_audience_and_lifetime_are_checked(local_stack: StackEndpoints) -> None:
    token = staff_token("checked@hub.example")
    certs = f"{local_stack.oidc_issuer_url}/protocol/openid-connect/certs"
    refusals = {
        # Same keys, but the service expects another issuer.
        "issuer": (
            {
                "OIDC_ISSUER_URL": "https://id.elsewhere.example/realms/aihub",
                "OIDC_JWKS_URL": certs,
            },
            "another issuer",
        ),
        "audience": ({"OIDC_AUDIENCE": "another-api"}, "not meant for another-api"),
        # Keycloak's tokens live 300 s; a service accepting at most 120 s refuses them.
        "lifetime": ({"OIDC_MAX_TOKEN_LIFETIME_SECONDS": "120"}, "at most 120 s"),
    }
    for overrides, reason in refusals.values():
        checker = OidcVerifier(settings_for(local_stack, **overrides))
        with pytest.raises(InvalidStaffToken, match=reason):
            await checker.verify(token)
        await checker.jwks.close()


async def test_an_expired_keycloak_token_is_refused(local_stack: StackEndpoints) -> None:
    admin = keycloak_admin()
    # A client of this test whose tokens live 2 s (the realm's default is 300 s).
    admin.ensure_dev_client("aihub-expiry-test", **{"access.token.lifespan": "2"})
    email = "short-lived@hub.example"
    staff_token(email)  # creates the account with its local password
    answer = admin.password_grant(email, local_password(local_stack, email), "aihub-expiry-test")
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    checker = OidcVerifier(settings_for(local_stack, OIDC_LEEWAY_SECONDS="0"))
    assert (await checker.verify(token)).id == email

    async def refused() -> str | None:
        try:
            await checker.verify(token)
        except InvalidStaffToken as exc:
            return str(exc)
        return None

    assert "expired" in await eventually(refused, within=30, what="the token to expire")
    await checker.jwks.close()


async def test_a_disabled_user_gets_no_fresh_token(local_stack: StackEndpoints) -> None:
    admin = keycloak_admin()
    email = "leaver@hub.example"
    staff_token(email)
    admin.set_enabled(email, False)
    try:
        answer = admin.password_grant(email, local_password(local_stack, email))
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_grant"
        assert "disabled" in answer.json()["error_description"].lower()
    finally:
        admin.set_enabled(email, True)


async def test_a_rotated_key_is_accepted_without_a_restart(local_stack: StackEndpoints) -> None:
    realm = keycloak_admin().create_realm(f"rotation-{uuid.uuid4().hex[:8]}")
    try:
        user = LocalUser("rotator@hub.example", "rotation-test-password-1", "Ro Tator")
        checker = OidcVerifier(
            settings_for(
                local_stack,
                OIDC_ISSUER_URL=f"{local_stack.keycloak_url}/realms/{realm.realm}",
            )
        )
        before = realm.token_for(user)
        assert (await checker.verify(before)).id == user.email
        realm.add_signing_key("rotated", priority=500)
        after = realm.token_for(user)
        assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]

        async def accepted() -> bool:
            try:
                return (await checker.verify(after)).id == user.email
            except InvalidStaffToken:
                return False  # until the verifier's next key refresh is allowed

        assert await eventually(accepted, within=30, what="the new key to be trusted")
        assert (await checker.verify(before)).id == user.email  # the old key still counts
        await checker.jwks.close()
    finally:
        realm.delete_realm()
        realm.close()


async def test_the_dependencies_answer_401_403_and_503_with_reasons(
    local_stack: StackEndpoints, kit_pool: asyncpg.Pool
) -> None:
    async def manages_nothing(pool: asyncpg.Pool, email: str) -> frozenset[str]:
        return frozenset({"cv"}) if email == "pm@hub.example" else frozenset()

    app = FastAPI()
    answer_refusals(app)
    app.state.runtime = SimpleNamespace(pool=kit_pool)
    current = staff_principal(settings_for(local_stack), manages_nothing)
    reviewer_or_admin = require_role(current, Role.REVIEWER)

    @app.get("/reviewers-only")
    async def reviewers_only(staff: StaffPrincipal = Depends(reviewer_or_admin)) -> str:
        return f"{staff.id} {staff.role.value}"

    down = staff_principal(
        settings_for(local_stack, OIDC_ISSUER_URL="http://127.0.0.1:9/realms/down"),
        manages_nothing,
    )

    @app.get("/provider-down")
    async def provider_down(staff: StaffPrincipal = Depends(down)) -> str:
        return staff.id

    def bearer(email: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {staff_token(email, roles)}"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        missing = await client.get("/reviewers-only")
        assert missing.status_code == 401
        assert "required" in missing.json()["detail"]
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        ops = await client.get("/reviewers-only", headers=bearer("ops@hub.example", "ops"))
        assert ops.status_code == 403
        assert "ops" in ops.json()["detail"]
        manager = await client.get("/reviewers-only", headers=bearer("pm@hub.example"))
        assert manager.status_code == 403
        assert "program_manager" in manager.json()["detail"]
        reviewer = await client.get("/reviewers-only", headers=bearer("rev@hub.example"))
        assert reviewer.json() == "rev@hub.example reviewer"
        admin = await client.get("/reviewers-only", headers=bearer("adm@hub.example", "admin"))
        assert admin.json() == "adm@hub.example admin"
        unreachable = await client.get("/provider-down", headers=bearer("rev@hub.example"))
        assert unreachable.status_code == 503
        assert "identity provider" in unreachable.json()["detail"]
