"""Rendering e-mails from the Jinja2 files in `aihub_notifications/templates/`.

Layout: `templates/<template>/<locale>/{subject.txt,body.txt,body.html}`. Subjects and text parts
are rendered by a plain-text environment, the HTML part by one that escapes every value. Every
string handed to a template is made single-line first, and the subject once more after rendering:
a name can never start a new header line, whatever the template does with it.

Staff mails link to the console page of what they are about: templates build those URLs with the
`console` global (`domain/console_links.py`), whose base is the `CONSOLE_BASE_URL` setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from aihub_notifications.domain.console_links import ConsoleLinks
from aihub_notifications.domain.deliveries import single_line
from aihub_shared.contracts.values import Locale

DEFAULT_LOCALE: Locale = "ko"
PARTS = ("subject.txt", "body.txt", "body.html")


@dataclass(frozen=True)
class RenderedMail:
    template: str
    locale: Locale
    subject: str
    text: str
    html: str


class MailRenderer:
    def __init__(
        self,
        package: str = "aihub_notifications",
        folder: str = "templates",
        *,
        links: ConsoleLinks | None = None,
    ) -> None:
        loader = PackageLoader(package, folder)
        common: dict[str, Any] = {
            "loader": loader,
            "undefined": StrictUndefined,  # a missing value is a bug, not an empty string
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
            # Templates ship inside the package and change only with a deploy: no stat() of the
            # template file on every render (Jinja2's default), which cost the queue per mail.
            "auto_reload": False,
        }
        # Subjects and text/plain parts are not HTML: escaping would show `&amp;` to the reader.
        self._text = Environment(autoescape=False, **common)  # noqa: S701
        self._html = Environment(autoescape=True, **common)
        for environment in (self._text, self._html):
            environment.globals["console"] = links or ConsoleLinks()
        self._available = frozenset(loader.list_templates())

    def templates(self) -> dict[str, set[str]]:
        """Template name → locales that have all three parts."""
        found: dict[str, set[str]] = {}
        for path in self._available:
            parts = path.split("/")
            if len(parts) == 3 and not parts[0].startswith("_"):
                found.setdefault(parts[0], set()).add(parts[1])
        return {
            name: {
                loc for loc in locales if all(f"{name}/{loc}/{p}" in self._available for p in PARTS)
            }
            for name, locales in found.items()
        }

    def locale_for(self, template: str, wanted: Locale) -> Locale:
        """The recipient's locale if the template speaks it, else Korean."""
        if all(f"{template}/{wanted}/{p}" in self._available for p in PARTS):
            return wanted
        return DEFAULT_LOCALE

    def render(self, template: str, locale: Locale, context: Mapping[str, Any]) -> RenderedMail:
        used = self.locale_for(template, locale)
        values = {k: single_line(v) if isinstance(v, str) else v for k, v in context.items()}
        values["locale"] = used
        base = f"{template}/{used}"
        subject = self._text.get_template(f"{base}/subject.txt").render(values)
        return RenderedMail(
            template=template,
            locale=used,
            subject=single_line(subject),
            text=self._text.get_template(f"{base}/body.txt").render(values),
            html=self._html.get_template(f"{base}/body.html").render(values),
        )
