"""Security headers on every answer. The Content-Security-Policy allows scripts and styles only
from the console itself (no inline script or style: htmx is configured through its
`<meta name="htmx-config">` not to inject one), forms only to the console and the identity
provider (the sign-out form goes there), and no framing."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(identity_provider_origin: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action 'self' {identity_provider_origin}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


def security_headers(*, identity_provider_origin: str, hsts: bool) -> dict[str, str]:
    """The headers of every answer — the middleware's, and the 500 page's (Starlette sends that
    one from outside every middleware, so it sets them itself: `errors.py`)."""
    headers = {
        "Content-Security-Policy": content_security_policy(identity_provider_origin),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
