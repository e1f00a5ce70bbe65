"""Korean by default, English by the switch: gettext catalogs (`locales/<lang>/LC_MESSAGES/
messages.po`, kept in the repo) compiled in memory at startup with Babel, one Jinja2
environment per language with the i18n extension installed."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from starlette.requests import Request

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
SEOUL = ZoneInfo("Asia/Seoul")


@cache
def translations(language: str) -> Translations:
    catalog_file = resources.files("aihub_console").joinpath(
        "locales", language, "LC_MESSAGES", "messages.po"
    )
    with catalog_file.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def N_(message: str) -> str:
    """Marks a msgid translated later (at rendering), so that extraction finds it."""
    return message


def language_of(request: Request) -> str:
    chosen = request.scope.get("session", {}).get("language")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def gettext(request: Request, message: str) -> str:
    """A message of Python code (flash, error pages) in the reader's language."""
    return translations(language_of(request)).gettext(message)


def localized(value: Any, language: str) -> str:
    """A service's bilingual text (`{"ko": "서류평가", "en": "Document review"}`, as a mapping or
    a model with `ko` and `en`) in the reader's language, else the other one; plain text as it
    is."""
    if value is None:
        return ""
    if not isinstance(value, Mapping) and not all(hasattr(value, key) for key in LANGUAGES):
        return str(value)
    for key in (language, *LANGUAGES):
        text = value.get(key) if isinstance(value, Mapping) else getattr(value, key)
        if text:
            return str(text)
    return ""


def number(value: Any, language: str) -> str:
    """A count or score in the reader's locale (10,000 rather than 10000); other values as
    they are."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return str(format_decimal(value, locale=language))


def seoul_time(value: datetime | None, language: str, *, with_time: bool = True) -> str:
    """A moment in Seoul time (the hub's), in the reader's locale."""
    if value is None:
        return ""
    pattern = "yyyy-MM-dd HH:mm" if with_time else "yyyy-MM-dd"
    return format_datetime(value, pattern, tzinfo=SEOUL, locale=language) + (
        " KST" if with_time else ""
    )
