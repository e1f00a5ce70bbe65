"""A contract violation as a publisher reads it: one reason per broken field, with where (a JSON
path), the rule (a stable code) and a message in the applicant's language.

The codes are pydantic's error types (`missing`, `string_too_long`, `less_than_equal`, ...) and
the platform's own rules (`control_character`, `invalid_business_registration_number`, ...); the
English message is pydantic's or ours, which never echo the input. Korean messages are below;
a code without one gets a generic Korean sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic_core import ErrorDetails

from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.values import Locale

#: A message names at most this many problems: a hostile message could break thousands of fields.
MAX_REASONS = 50

_KO: dict[str, str] = {
    "missing": "필수 항목이 빠졌습니다.",
    "string_type": "문자열이어야 합니다.",
    "string_too_short": "{min_length}자 이상이어야 합니다.",
    "string_too_long": "{max_length}자 이하여야 합니다.",
    "string_pattern_mismatch": "형식이 맞지 않습니다.",
    "int_type": "정수여야 합니다.",
    "int_parsing": "정수여야 합니다.",
    "int_from_float": "정수여야 합니다.",
    "greater_than_equal": "{ge} 이상이어야 합니다.",
    "less_than_equal": "{le} 이하여야 합니다.",
    "bool_type": "true 또는 false여야 합니다.",
    "bool_parsing": "true 또는 false여야 합니다.",
    "date_format": "날짜는 YYYY-MM-DD 형식이어야 합니다.",
    "invalid_date": "실제로 있는 날짜여야 합니다 (예: 2월 30일은 없습니다).",
    "literal_error": "허용된 값이 아닙니다. 허용: {expected}",
    "dict_type": "JSON 객체여야 합니다.",
    "model_type": "JSON 객체여야 합니다.",
    "list_type": "배열이어야 합니다.",
    "too_long": "항목이 {max_length}개 이하여야 합니다.",
    "url_parsing": "올바른 URL이 아닙니다.",
    "url_scheme": "http 또는 https URL이어야 합니다.",
    "value_error": "올바른 값이 아닙니다.",
    "timezone_aware": "시간대가 포함된 시각이어야 합니다.",
    "datetime_from_date_parsing": "올바른 시각(RFC 3339)이 아닙니다.",
    "nul_character": "NUL 문자를 포함할 수 없습니다.",
    "unpaired_surrogate": "짝이 없는 서로게이트 문자를 포함할 수 없습니다.",
    "control_character": "줄바꿈(CR, LF)이나 탭 같은 제어 문자를 포함할 수 없습니다.",
    "surrounding_white_space": "앞뒤에 공백이 올 수 없습니다.",
    "blank": "공백만으로는 안 됩니다.",
    "invalid_business_registration_number": "사업자등록번호가 올바르지 않습니다 (검증번호 불일치).",
    "unknown_event_type": "처리할 수 없는 이벤트 유형입니다: {type}",
    "wrong_topic": "이 토픽에 올 수 없는 이벤트 유형입니다: {type}",
}
_KO_FALLBACK = "계약(JSON Schema)에 맞지 않는 값입니다."

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def json_path(location: Iterable[int | str]) -> str:
    """`$.data.startup.name`, `$.data.answers['why now']`, `$.data.items[3]`; hostile keys are
    escaped and cut, so the path is always short, printable text."""
    parts = ["$"]
    for step in location:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _IDENTIFIER.fullmatch(step):
            parts.append(f".{step}")
        else:
            escaped = step[:64].encode("ascii", "backslashreplace").decode()
            escaped = "".join(ch if " " <= ch <= "~" else f"\\x{ord(ch):02x}" for ch in escaped)
            parts.append("['" + escaped.replace("'", "\\'") + "']")
    return "".join(parts)[:300]


def _korean(code: str, context: dict[str, Any]) -> str:
    template = _KO.get(code, _KO_FALLBACK)
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):
        return _KO_FALLBACK


def refusals_for(errors: Sequence[ErrorDetails], locale: Locale | None) -> list[Refusal]:
    """One reason per error, in `locale`, or in Korean and English when it is not known."""
    reasons = []
    for error in errors[:MAX_REASONS]:
        code = error["type"]
        english = error["msg"].removeprefix("Value error, ")
        korean = _korean(code, dict(error.get("ctx") or {}))
        message = {"ko": korean, "en": english}.get(locale or "", f"{korean} / {english}")
        reasons.append(Refusal(code=code[:64], message=message[:500], path=json_path(error["loc"])))
    return reasons


def violation(code: str, message: str, location: tuple[str, ...], **context: Any) -> ErrorDetails:
    """An error of our own in pydantic's shape (an unknown type is not a pydantic error)."""
    return {"type": code, "loc": location, "msg": message, "input": None, "ctx": context}
