"""Sign-in and sign-out (`/auth/login`, `/auth/callback`, `/auth/logout`): OpenID Connect
authorization code with PKCE against the identity provider; the session gets a new id once
someone signed in, and sign-out ends the provider's session as well as the console's."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from aihub_console.adapters.identity_provider import IdentityProvider
from aihub_console.entrypoints.deps import identity_provider
from aihub_console.entrypoints.i18n import gettext, language_of
from aihub_console.entrypoints.pages import flash, render
from aihub_console.entrypoints.session_middleware import END, ROTATE
from aihub_console.service_layer.signin import record_sign_in, sign_out, signed_in_person

router = APIRouter(prefix="/auth", include_in_schema=False)

_AFTER_SIGN_IN = "after_sign_in"


def local_path(candidate: str | None, default: str = "/") -> str:
    """Only a path of this console: never another site (no open redirect)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    if "\\" in candidate or any(ord(c) < 32 for c in candidate):
        return default
    return candidate


@router.get("/login")
async def login(
    request: Request,
    next: str | None = None,
    provider: IdentityProvider = Depends(identity_provider),
) -> Response:
    target = local_path(next)
    if signed_in_person(request.session) is not None:
        return RedirectResponse(target, status_code=303)
    request.session[_AFTER_SIGN_IN] = target
    callback = f"{request.app.state.settings.console_base_url}/auth/callback"
    return await provider.sign_in_redirect(request, callback, language=language_of(request))


@router.get("/callback")
async def callback(
    request: Request, provider: IdentityProvider = Depends(identity_provider)
) -> Response:
    token = await provider.complete_sign_in(request)
    person = record_sign_in(request.session, token)
    request.scope[ROTATE] = True
    flash(request, gettext(request, "Signed in as %(name)s") % {"name": person.name}, "success")
    return RedirectResponse(local_path(request.session.pop(_AFTER_SIGN_IN, None)), status_code=303)


@router.post("/logout")
async def logout(
    request: Request, provider: IdentityProvider = Depends(identity_provider)
) -> Response:
    """Ends the console's session at once, then the provider's: the browser posts the ID token
    hint to the provider's end-session endpoint (a form body, never a URL) and comes back."""
    id_token = sign_out(request.session)
    request.scope[END] = True
    endpoint = await provider.end_session_endpoint()
    if id_token is None or endpoint is None:
        return RedirectResponse("/", status_code=303)
    page = render(
        request,
        "auth/signing_out.html",
        {
            "end_session_endpoint": endpoint,
            "id_token_hint": id_token,
            "client_id": provider.client_id,
            "post_logout_redirect_uri": f"{request.app.state.settings.console_base_url}/",
        },
    )
    # For the page the provider sends the browser back to (the new session carries it over).
    flash(request, gettext(request, "You have signed out."), "success")
    return page
