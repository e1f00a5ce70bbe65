"""Names the services give in both languages are shown in the reader's; dates in Seoul time."""

from __future__ import annotations

from datetime import UTC, datetime

from aihub_console.adapters.applications_api import Named
from aihub_console.entrypoints.i18n import localized, seoul_time


def test_a_bilingual_name_in_the_readers_language_else_the_other() -> None:
    stage = {"ko": "서류평가", "en": "Document review"}
    assert localized(stage, "ko") == "서류평가"
    assert localized(stage, "en") == "Document review"
    assert localized(Named(ko="서류평가", en="Document review"), "en") == "Document review"
    assert localized({"ko": "서류평가", "en": ""}, "en") == "서류평가"
    assert localized("document-review", "ko") == "document-review"
    assert localized(None, "ko") == ""


def test_moments_are_shown_in_seoul_time() -> None:
    moment = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    assert seoul_time(moment, "ko") == "2026-12-01 00:30 KST"
    assert seoul_time(moment, "en", with_time=False) == "2026-12-01"
    assert seoul_time(None, "ko") == ""
