"""Staff bearer tokens: access tokens of the platform's OpenID Connect provider (Keycloak).

Every service verifies them on its own, with the issuer's public keys (JWKS): signature (RS256 or
ES256 only — never ``none`` or an HMAC keyed with a public key), issuer, audience, expiry and a
maximum lifetime. The keys are fetched once and cached; a token naming an unknown key id makes
one refresh (at most every ``OIDC_JWKS_MIN_REFRESH_SECONDS``, so a flood of made-up key ids
cannot hammer the provider), which is how a key rotation is picked up without a restart. While
the provider is down the cached keys keep working. Any OIDC provider fits: issuer, audience and
claim names are settings.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from aihub_shared.identity import Role

log = structlog.get_logger(__name__)

#: Asymmetric algorithms only: a symmetric one would let anyone holding the public key sign.
ALLOWED_ALGORITHMS = ("RS256", "ES256")


class InvalidStaffToken(Exception):
    """The token is refused (401); the message says why."""


class IdentityProviderUnavailable(Exception):
    """No key to check the token with, and the provider cannot be reached (503)."""


class OidcSettings(BaseSettings):
    """Mixed into the settings of each service with a staff HTTP API."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    oidc_issuer_url: str = Field(
        description="The provider's issuer, e.g. https://id.seoulaihub.kr/realms/aihub; its "
        "/.well-known/openid-configuration names the keys."
    )
    oidc_audience: str = Field(default="aihub-staff-api", min_length=1)
    oidc_jwks_url: str | None = Field(default=None, description="Default: from discovery.")
    oidc_roles_claim: str = Field(default="realm_access.roles", description="Dotted path.")
    oidc_email_claim: str = Field(default="email")
    oidc_name_claim: str = Field(default="name")
    oidc_max_token_lifetime_seconds: int = Field(default=3600, ge=60)
    oidc_leeway_seconds: int = Field(default=30, ge=0, le=300)
    oidc_jwks_min_refresh_seconds: float = Field(default=5.0, ge=0)


@dataclass(frozen=True)
class TokenIdentity:
    """What a verified token says: who (lower-cased e-mail), their name, their global role."""

    id: str
    name: str
    global_role: Role | None


class JwksCache:
    """The issuer's signing keys by key id, fetched without blocking the event loop."""

    def __init__(self, settings: OidcSettings, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._http = http
        self._keys: dict[str, jwt.PyJWK] = {}
        self._jwks_url = settings.oidc_jwks_url
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK:
        found = self._keys.get(kid)
        if found is None:
            await self._refresh()
            found = self._keys.get(kid)
        if found is None:
            raise InvalidStaffToken("the token's signing key (kid) is not one of the issuer's")
        return found

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self._settings.oidc_jwks_min_refresh_seconds:
                return
            self._fetched_at = time.monotonic()
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWKSetError) as exc:
                if not self._keys:
                    raise IdentityProviderUnavailable(
                        "the identity provider's keys cannot be fetched now; try again shortly"
                    ) from exc
                log.warning("jwks refresh failed, cached keys kept", error=str(exc))
                return
            self._keys = keys

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=5.0)
        if self._jwks_url is None:
            issuer = self._settings.oidc_issuer_url.rstrip("/")
            response = await self._http.get(f"{issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            self._jwks_url = str(response.json()["jwks_uri"])
        response = await self._http.get(self._jwks_url)
        response.raise_for_status()
        key_set = jwt.PyJWKSet.from_dict(response.json())
        return {
            str(k.key_id): k for k in key_set.keys if k.key_id and k.public_key_use in (None, "sig")
        }

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()


class OidcVerifier:
    """Checks a bearer token and says who it names."""

    def __init__(self, settings: OidcSettings, jwks: JwksCache | None = None) -> None:
        self.settings = settings
        self.jwks = jwks or JwksCache(settings)

    async def verify(self, token: str) -> TokenIdentity:
        return self.identity(await self.claims(token))

    async def claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidStaffToken("the staff token is not a signed JWT") from exc
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            allowed = " or ".join(ALLOWED_ALGORITHMS)
            raise InvalidStaffToken(
                f"tokens signed with {algorithm!r} are refused (only {allowed})"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidStaffToken("the staff token names no signing key (kid)")
        key = await self.jwks.key(kid)
        claims = _decode(token, key, str(algorithm), self.settings)
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if lifetime > self.settings.oidc_max_token_lifetime_seconds:
            raise InvalidStaffToken(
                f"the staff token lives {lifetime} s; at most "
                f"{self.settings.oidc_max_token_lifetime_seconds} s are accepted"
            )
        return claims

    def identity(self, claims: dict[str, Any]) -> TokenIdentity:
        s = self.settings
        email = claims.get(s.oidc_email_claim)
        if email is None:
            # A system (client credentials) has no mailbox: it is named by its client id, which
            # stays the same whatever scopes its tokens get (the HTTP door's idempotency key).
            email = claims.get("azp")
        elif claims.get("email_verified") is False:
            raise InvalidStaffToken("the account's e-mail address is not verified yet")
        if not isinstance(email, str) or not email:
            raise InvalidStaffToken(f"the staff token has no {s.oidc_email_claim} claim")
        roles = _claim_at(claims, s.oidc_roles_claim)
        names = set(roles) if isinstance(roles, list) else set()
        # Admin outranks ops; anyone else is a program manager or a reviewer by the catalog.
        role = Role.ADMIN if "admin" in names else Role.OPS if "ops" in names else None
        name = claims.get(s.oidc_name_claim)
        return TokenIdentity(
            id=email.lower(),
            name=name if isinstance(name, str) and name else email,
            global_role=role,
        )


def _decode(token: str, key: jwt.PyJWK, algorithm: str, s: OidcSettings) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=s.oidc_audience,
            issuer=s.oidc_issuer_url,
            leeway=s.oidc_leeway_seconds,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidStaffToken("the staff token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidStaffToken(f"the staff token is not meant for {s.oidc_audience}") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidStaffToken("the staff token comes from another issuer") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidStaffToken("the staff token's signature is not valid") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidStaffToken(f"the staff token has no {exc.claim} claim") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidStaffToken(f"the staff token is not valid: {exc}") from exc
    return claims


def _claim_at(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
