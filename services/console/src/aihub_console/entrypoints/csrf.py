"""CSRF protection of every state-changing request: the request must come from the console's
own origin (`Origin`, else `Referer`) and carry the session's synchronizer token, in the form
field `csrf_token` or the `X-CSRF-Token` header (htmx sends it from `hx-headers` on `<body>`).
`SameSite=Lax` on the session cookie is a third, independent guard."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


class CsrfRefused(Exception):
    """403; the message says which check failed."""


async def verify_csrf(request: Request) -> None:
    """An app-wide FastAPI dependency: every route of every page group gets it."""
    if request.method in SAFE_METHODS:
        return
    expected_origin: str = request.app.state.settings.console_origin
    origin = request.headers.get("origin") or _origin_of(request.headers.get("referer"))
    if origin is None:
        raise CsrfRefused("the request does not say where it came from (no Origin)")
    if origin != expected_origin:
        raise CsrfRefused(f"the request came from {origin}, not from the console")
    sent = request.headers.get(HEADER)
    if sent is None and _is_form(request):
        form = await request.form()  # Starlette keeps it: the route reads the same form
        value = form.get(FORM_FIELD)
        sent = value if isinstance(value, str) else None
    expected = request.session.get("csrf")
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise CsrfRefused("the form's security token is missing or out of date; reload the page")


def _origin_of(referer: str | None) -> str | None:
    if not referer:
        return None
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
