"""Template previews for staff: each template rendered with the sample data the golden-file tests
use (`domain/samples.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aihub_notifications.adapters.templates import MailRenderer, RenderedMail
from aihub_notifications.domain.samples import sample_request
from aihub_shared.contracts.values import Locale
from aihub_shared.refusals import NotFound


@dataclass(frozen=True)
class TemplatePreview:
    mail: RenderedMail
    #: The values the template was given, JSON-friendly (dates as ISO text).
    sample_context: dict[str, Any]


def template_languages(renderer: MailRenderer) -> dict[str, list[str]]:
    """Template name → the languages it is written in."""
    return {name: sorted(locales) for name, locales in sorted(renderer.templates().items())}


def preview(renderer: MailRenderer, template: str, locale: Locale) -> TemplatePreview:
    if template not in renderer.templates():
        raise NotFound("no such template")
    request = sample_request(template, locale)
    return TemplatePreview(
        mail=renderer.render(template, locale, request.context),
        sample_context={k: _plain(v) for k, v in request.context.items()},
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # dates and times
        return value.isoformat()
    return value
