"""Server-side sessions as Starlette's `request.session`: a dict loaded from the console's schema
before the route runs and saved before the answer's headers leave, the cookie carrying only an
opaque random id (`Secure`, `HttpOnly`, `SameSite=Lax`).

Starlette's own `SessionMiddleware` would put the data itself into a signed cookie; with this one
tokens never reach the browser, and authlib's Starlette client keeps its login state (state,
nonce, PKCE verifier) in the same dict without knowing where it is stored.
"""

from __future__ import annotations

import json
import secrets
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aihub_console.adapters.session_store import SessionStore, new_session_id

#: Set in `scope` by a route to give the session a new id (after sign-in: no fixation) or to end
#: it (sign-out).
ROTATE = "aihub.session.rotate"
END = "aihub.session.end"
#: Paths that need no session (assets, probes): no row is created for them.
SESSIONLESS_PREFIXES = ("/static/", "/health/", "/metrics")


class ServerSideSessions:
    def __init__(self, app: ASGIApp, *, secure: bool, max_age: int) -> None:
        self.app = app
        self.secure = secure
        self.max_age = max_age
        # The `__Host-` prefix makes browsers refuse the cookie unless it is Secure, host-only
        # and for path /: nobody on a sibling domain can plant one.
        self.cookie_name = "__Host-aihub_session" if secure else "aihub_session"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SESSIONLESS_PREFIXES):
            await self.app(scope, receive, send)
            return
        # The app's lifespan opens the store (its pool) after the middleware stack is built.
        store: SessionStore = scope["app"].state.session_store
        session_id = self._cookie(scope)
        data = await store.load(session_id) if session_id else None
        if session_id is None or data is None:
            session_id, data = new_session_id(), new_session_data()
        scope["session"] = data
        loaded = _fingerprint(data)
        saved = False

        async def send_with_session(message: Message) -> None:
            nonlocal saved
            if message["type"] == "http.response.start" and not saved:
                saved = True
                current_id = await _persist(store, scope, session_id, loaded)
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", self._set_cookie(current_id))
                headers.append("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _cookie(self, scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookies = SimpleCookie()
                try:
                    cookies.load(value.decode("latin-1"))
                except Exception:  # a malformed Cookie header is no session
                    return None
                morsel = cookies.get(self.cookie_name)
                return morsel.value if morsel is not None and morsel.value else None
        return None

    def _set_cookie(self, session_id: str) -> str:
        parts = [
            f"{self.cookie_name}={session_id}",
            "Path=/",
            f"Max-Age={self.max_age}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


async def _persist(store: SessionStore, scope: Scope, session_id: str, loaded: str) -> str:
    """Save the session if the request changed it, else only move its idle expiry forward (like
    Keycloak's): a request that changed nothing never overwrites what a concurrent one saved
    (htmx previews run while a form is posted). Under a new id if a route asked for it. Returns
    the id the cookie carries from now on."""
    data: dict[str, Any] = scope["session"]
    if scope.get(END) or scope.get(ROTATE):
        await store.delete(session_id)
        session_id = new_session_id()
        if scope.get(END):
            data = new_session_data(language=data.get("language"), flash=data.get("flash"))
        else:
            data["csrf"] = secrets.token_urlsafe(32)  # a new session, a new token
    elif _fingerprint(data) == loaded and await store.touch(session_id):
        return session_id
    await store.save(session_id, data)
    return session_id


def _fingerprint(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def new_session_data(
    *, language: str | None = None, flash: list[Any] | None = None
) -> dict[str, Any]:
    """A fresh session: its own CSRF token; the language and pending messages carried over."""
    data: dict[str, Any] = {"csrf": secrets.token_urlsafe(32)}
    if language:
        data["language"] = language
    if flash:
        data["flash"] = flash
    return data
