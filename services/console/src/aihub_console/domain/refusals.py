"""What a service's refusal means for a form: the `aihub_shared.refusals` answer shape
(`{"detail": "reason"}`, or a 422's `{"detail": [{"loc": [...], "msg": ...}]}`) turned into a
message for the page and messages per form field. Pure: no HTTP, no templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Says a reason in the reader's language: (its code or None, its values, the service's English
#: text) → the text to show.
Say = Callable[[str | None, Mapping[str, Any], str], str]


def as_the_service_said(code: str | None, params: Mapping[str, Any], english: str) -> str:
    return english


#: Where FastAPI puts a problem: the first element of `loc` says which part of the request.
_REQUEST_PARTS = ("body", "query", "path", "header")


@dataclass(frozen=True)
class FormErrors:
    """Messages by field (dotted path inside the body: `scores.0.score`) and for the page."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    message: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.message)

    def of(self, name: str) -> list[str]:
        return self.fields.get(name, [])


def form_errors(
    detail: Any,
    *,
    fallback: str,
    code: str | None = None,
    params: Mapping[str, Any] | None = None,
    say: Say = as_the_service_said,
) -> FormErrors:
    """A refusal's `detail` as form errors; `fallback` is the page message when the answer
    names no reason a person can read. Each reason goes through `say` with its code and values
    (the refusal's `code` and `params`; a 422 problem's `type` and `ctx`)."""
    if isinstance(detail, str) and detail.strip():
        return FormErrors(message=say(code, params or {}, detail))
    if not isinstance(detail, list):
        return FormErrors(message=fallback)
    fields: dict[str, list[str]] = {}
    unplaced: list[str] = []
    for problem in detail:
        if not isinstance(problem, dict):
            continue
        message = str(problem.get("msg") or fallback)
        kind, values = problem.get("type"), problem.get("ctx")
        message = say(
            kind if isinstance(kind, str) else None,
            values if isinstance(values, Mapping) else {},
            message,
        )
        location = problem.get("loc")
        path = _field_path(location) if isinstance(location, list) else ""
        if path:
            fields.setdefault(path, []).append(message)
        else:
            unplaced.append(message)
    if not fields and not unplaced:
        return FormErrors(message=fallback)
    return FormErrors(fields=fields, message="; ".join(unplaced) or None)


def _field_path(location: list[Any]) -> str:
    parts = location[1:] if location and location[0] in _REQUEST_PARTS else location
    return ".".join(str(part) for part in parts)
