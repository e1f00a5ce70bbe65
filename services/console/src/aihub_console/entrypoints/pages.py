"""Rendering a page: the Jinja2 environment of the reader's language, what every page shows
(the person, navigation, flash messages, the CSRF token for forms and htmx), and the one way
a route renders a service's refusal (`refusal_page`, `form_errors_of`)."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from aihub_console.adapters.service_api import ServiceRefusal
from aihub_console.domain.refusals import FormErrors, form_errors
from aihub_console.entrypoints.i18n import (
    N_,
    gettext,
    language_of,
    localized,
    number,
    seoul_time,
    translations,
)
from aihub_console.entrypoints.navigation import links_for
from aihub_console.entrypoints.reasons import speaker
from aihub_console.service_layer.signin import signed_in_person

FlashLevel = Literal["info", "success", "error"]


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("aihub_console", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["loc"] = lambda value: localized(value, language)
    env.filters["number"] = lambda value: number(value, language)
    env.filters["seoul"] = lambda value, with_time=True: seoul_time(
        value, language, with_time=with_time
    )
    env.globals["lang"] = language
    return env


def flash(request: Request, message: str, level: FlashLevel = "info") -> None:
    """A message shown once on the next page (already translated by the caller)."""
    request.session.setdefault("flash", []).append({"level": level, "message": message})


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    language = language_of(request)
    person = signed_in_person(request.session)
    page = {
        "request": request,
        "person": person,
        "nav": links_for(person),
        "csrf_token": request.session.get("csrf", ""),
        # An htmx partial leaves the messages for the next whole page.
        "flashes": [] if _is_htmx(request) else request.session.pop("flash", []),
        "current_path": request.url.path,
        "errors": FormErrors(),
        **(context or {}),
    }
    html = environment(language).get_template(template).render(page)
    return HTMLResponse(html, status_code=status)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_page(request: Request, status: int, title: str, reason: str | None) -> HTMLResponse:
    """`title` is a msgid; `reason` is shown as it came (a service's or a check's reason)."""
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": gettext(request, title), "reason": reason},
        status=status,
    )


def form_errors_of(request: Request, refusal: ServiceRefusal) -> FormErrors:
    """A service's refusal for a form: messages at their fields, the rest for the page."""
    return form_errors(
        refusal.detail,
        fallback=gettext(request, _TITLES.get(refusal.status, N_("The request was refused"))),
        code=refusal.code,
        params=refusal.params,
        say=speaker(request),
    )


def refusal_page(request: Request, refusal: ServiceRefusal) -> HTMLResponse:
    """A refusal no form catches: its status and the service's reason on an error page."""
    errors = form_errors_of(request, refusal)
    reasons = [errors.message] if errors.message else []
    reasons += [f"{name}: {msg}" for name, msgs in errors.fields.items() for msg in msgs]
    return error_page(
        request,
        refusal.status,
        _TITLES.get(refusal.status, N_("The request was refused")),
        "; ".join(reasons) or None,
    )


_TITLES = {
    403: N_("You may not do this"),
    404: N_("Not found"),
    409: N_("Not possible now"),
    422: N_("Please check the input"),
}
