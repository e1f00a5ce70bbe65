"""How the console answers what went wrong, once for every page group: a service's refusal with
its reason, a lapsed sign-in with the way back in, a CSRF failure or an unknown page."""

from __future__ import annotations

from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from aihub_console.adapters.identity_provider import IdentityProviderUnavailable, SignInFailed
from aihub_console.adapters.service_api import (
    ServiceRefusal,
    ServiceSignInRequired,
    ServiceUnavailable,
)
from aihub_console.entrypoints.csrf import CsrfRefused
from aihub_console.entrypoints.i18n import N_
from aihub_console.entrypoints.pages import error_page, refusal_page
from aihub_console.service_layer.signin import SignInRequired, sign_out

log = structlog.get_logger(__name__)


def sign_in_again(request: Request) -> Response:
    """To the sign-in, coming back to this page (for htmx: the whole page goes there)."""
    back = "/"
    if request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/auth/login?next={quote(back, safe='')}"
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def install_error_pages(app: FastAPI, headers: dict[str, str]) -> None:
    """Every error page; `headers` (the security headers) go on the 500 page too."""

    async def signin_required(request: Request, exc: Exception) -> Response:
        return sign_in_again(request)

    async def token_refused(request: Request, exc: Exception) -> Response:
        # The service refused a token we thought valid (revoked, disabled account): sign in anew.
        sign_out(request.session)
        return sign_in_again(request)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceRefusal)
        return refusal_page(request, exc)

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("service unavailable", error=str(exc))
        return error_page(request, 503, "A service is not answering; try again shortly", str(exc))

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        log.warning("csrf refused", path=request.url.path, reason=str(exc))
        return error_page(request, 403, "The request was refused", str(exc))

    async def sign_in_failed(request: Request, exc: Exception) -> Response:
        log.warning("sign-in failed", reason=str(exc))
        return error_page(request, 400, "Signing in did not work", str(exc))

    async def provider_unavailable(request: Request, exc: Exception) -> Response:
        log.warning("identity provider unavailable", error=str(exc))
        return error_page(request, 503, "Signing in is not possible right now", None)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        title = N_("Not found") if exc.status_code == 404 else N_("The request was refused")
        return error_page(
            request, exc.status_code, title, None if exc.status_code == 404 else str(exc.detail)
        )

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        reasons = "; ".join(str(error.get("msg")) for error in exc.errors())
        return error_page(request, 422, "Please check the input", reasons)

    async def internal_error(request: Request, exc: Exception) -> Response:
        # Starlette sends this answer from outside every middleware (then re-raises, so the
        # traceback is logged): the security headers are set here, and the page is rendered
        # without relying on what may have failed (the session, a template) — else plain text.
        try:
            page: Response = error_page(
                request, 500, N_("Something went wrong on our side; try again shortly"), None
            )
        except Exception:
            page = PlainTextResponse("500: something went wrong", status_code=500)
        page.headers.update(headers)
        page.headers["Cache-Control"] = "no-store"
        return page

    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(SignInRequired, signin_required)
    app.add_exception_handler(ServiceSignInRequired, token_refused)
    app.add_exception_handler(ServiceRefusal, refused)
    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(SignInFailed, sign_in_failed)
    app.add_exception_handler(IdentityProviderUnavailable, provider_unavailable)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
