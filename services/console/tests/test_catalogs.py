"""Every message of the console's code and templates is in both catalogs, Korean translated:
a page never shows an English message to a Korean reader because someone forgot the .po."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "aihub_console"
#: As `pybabel extract -F babel.cfg -k gettext:2 -k error_page:3 -k N_` (the README's i18n).
KEYWORDS = {"_": None, "gettext": (2,), "error_page": (3,), "N_": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def used_messages() -> set[str]:
    found = extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS, options_map=OPTIONS, strip_comment_tags=True
    )
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def catalog(language: str) -> dict[str, str]:
    path = PACKAGE / "locales" / language / "LC_MESSAGES" / "messages.po"
    parsed = read_po(io.BytesIO(path.read_bytes()), locale=language)
    return {str(m.id): str(m.string) for m in parsed if m.id}


def test_messages_are_found() -> None:
    assert {"Sign in", "Sign out", "My reviews"} <= used_messages()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_message_is_in_the_catalog(language: str) -> None:
    missing = used_messages() - set(catalog(language))
    assert not missing, f"not in locales/{language}: {sorted(missing)}"


def test_every_korean_message_is_translated() -> None:
    untranslated = [msgid for msgid, text in catalog("ko").items() if not text.strip()]
    assert not untranslated
