"""The identity provider (Keycloak) as an OpenID Connect client, through authlib: authorization
code with PKCE (S256), state and nonce kept in the server-side session and checked on return, the
ID token's signature, issuer, audience, expiry and nonce checked, refresh by refresh token.

The provider's discovery document names its endpoints by the issuer's address; where the console
reaches the provider by another address (compose: `http://keycloak:8080`), the server-to-server
endpoints (token, keys, user info) are moved there and the browser-facing ones stay.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import httpx2
from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App
from starlette.requests import Request
from starlette.responses import RedirectResponse

from aihub_console.settings import ConsoleSettings

#: Server-to-server endpoints of the discovery document.
_BACKCHANNEL_ENDPOINTS = (
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
)
_NAME = "aihub"
#: The provider not answering. authlib's clients run on httpx2 (the maintained continuation of
#: httpx: with it installed, authlib no longer warns that its httpx fallback is deprecated); the
#: console's own discovery call uses httpx, as its service clients do.
_UNREACHABLE = (httpx.HTTPError, httpx2.HTTPError)


class SignInFailed(Exception):
    """The provider's answer to a sign-in was refused (state, code, ID token); the message says
    why, without any token."""


class IdentityProviderUnavailable(Exception):
    """The provider could not be reached."""


class IdentityProvider:
    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings
        self._client: StarletteOAuth2App | None = None
        self._lock = asyncio.Lock()

    async def _app(self) -> StarletteOAuth2App:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = self._register(await self._metadata())
        return self._client

    async def _metadata(self) -> dict[str, Any]:
        issuer = self._settings.oidc_issuer_url
        internal = self._settings.oidc_internal_url
        discovery = f"{_moved(issuer, internal)}/.well-known/openid-configuration"
        try:
            async with httpx.AsyncClient(timeout=self._settings.service_timeout_seconds) as http:
                answer = await http.get(discovery)
                answer.raise_for_status()
        except _UNREACHABLE as exc:
            raise IdentityProviderUnavailable(f"discovery failed: {type(exc).__name__}") from exc
        metadata: dict[str, Any] = answer.json()
        if metadata.get("issuer") != issuer:
            raise IdentityProviderUnavailable(
                f"the provider names issuer {metadata.get('issuer')!r}, expected {issuer!r}"
            )
        for key in _BACKCHANNEL_ENDPOINTS:
            if key in metadata:
                metadata[key] = _moved(metadata[key], internal)
        return metadata

    def _register(self, metadata: dict[str, Any]) -> StarletteOAuth2App:
        oauth = OAuth()
        client: StarletteOAuth2App = oauth.register(
            _NAME,
            client_id=self._settings.oidc_client_id,
            client_secret=self._settings.oidc_client_secret.get_secret_value(),
            client_kwargs={
                "scope": self._settings.oidc_scopes,
                "code_challenge_method": "S256",
                "timeout": self._settings.service_timeout_seconds,
            },
            **metadata,
        )
        return client

    async def sign_in_redirect(
        self, request: Request, redirect_uri: str, *, language: str
    ) -> RedirectResponse:
        """To the provider's sign-in page; state, nonce and the PKCE verifier go into the
        session (authlib keeps them under `_state_aihub_<state>`)."""
        try:
            app = await self._app()
            response: RedirectResponse = await app.authorize_redirect(
                request, redirect_uri, ui_locales=language
            )
        except _UNREACHABLE as exc:
            raise IdentityProviderUnavailable(type(exc).__name__) from exc
        return response

    async def complete_sign_in(self, request: Request) -> dict[str, Any]:
        """The callback: state checked against the session, the code exchanged with the PKCE
        verifier, the ID token verified (nonce included). Returns the token answer with the ID
        token's claims under `userinfo`."""
        try:
            app = await self._app()
            token: dict[str, Any] = await app.authorize_access_token(request)
        except OAuthError as exc:
            # authlib's messages name the failed check, never a token value.
            raise SignInFailed(f"{exc.error}: {exc.description or ''}".strip(": ")) from exc
        except _UNREACHABLE as exc:
            raise IdentityProviderUnavailable(type(exc).__name__) from exc
        except Exception as exc:  # the ID token's checks (joserfc/authlib claim errors)
            raise SignInFailed(f"the ID token was refused ({type(exc).__name__})") from exc
        if "userinfo" not in token:
            raise SignInFailed("the provider answered without an ID token")
        return token

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """A new token answer for the refresh token; SignInFailed if the provider refuses it
        (session ended there, refresh token expired or already used)."""
        try:
            app = await self._app()
            token: dict[str, Any] = await app.fetch_access_token(
                grant_type="refresh_token", refresh_token=refresh_token
            )
        except OAuthError as exc:
            raise SignInFailed(f"refresh refused: {exc.error}") from exc
        except _UNREACHABLE as exc:
            raise IdentityProviderUnavailable(type(exc).__name__) from exc
        return token

    async def end_session_endpoint(self) -> str | None:
        """Where the browser ends the provider's session (RP-initiated logout)."""
        app = await self._app()
        metadata = await app.load_server_metadata()
        endpoint = metadata.get("end_session_endpoint")
        return str(endpoint) if endpoint else None

    @property
    def client_id(self) -> str:
        return self._settings.oidc_client_id

    @property
    def issuer_origin(self) -> str:
        parts = urlsplit(self._settings.oidc_issuer_url)
        return f"{parts.scheme}://{parts.netloc}"


def _moved(url: str, base: str | None) -> str:
    """`url` with its scheme and host replaced by `base`'s (None: unchanged)."""
    if not base:
        return url
    target = urlsplit(base)
    parts = urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))
