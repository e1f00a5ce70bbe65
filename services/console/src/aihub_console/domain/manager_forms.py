"""What the manager pages' forms mean, before any service sees them: reviewers typed one per
line, a due day in Seoul, a whole number that may be left empty. Pure; the services validate
what they are sent and their reasons are shown at the fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from aihub_console.domain.refusals import FormErrors

SEOUL = ZoneInfo("Asia/Seoul")
_NAMED = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<\s*(?P<email>[^<>\s]+)\s*>\s*$")


@dataclass(frozen=True)
class ReviewerLine:
    email: str
    name: str


def reviewer_lines(text: str) -> list[ReviewerLine]:
    """`Kim Minji <kim@hub.example>` or `kim@hub.example` per line (blank lines skipped); with
    no name given, the part before the @ stands for it."""
    found: list[ReviewerLine] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        named = _NAMED.match(line)
        email = named["email"] if named else line.strip()
        name = (named["name"] if named else "") or email.split("@", 1)[0]
        found.append(ReviewerLine(email, name))
    return found


def end_of_day_in_seoul(day: str) -> datetime | None:
    """`2027-03-01` → 2027-03-01 23:59 KST; empty → None. A malformed day raises ValueError."""
    if not day.strip():
        return None
    return datetime.combine(date.fromisoformat(day.strip()), time(23, 59), tzinfo=SEOUL)


def optional_int(text: str) -> int | None:
    """A whole number or nothing; anything else raises ValueError."""
    return int(text) if text.strip() else None


def gathered(errors: FormErrors, field: str) -> FormErrors:
    """A refusal's messages about items of a list field (`reviewers.2.id`) shown at the field
    itself, each saying which item (counted from 1)."""
    fields: dict[str, list[str]] = {}
    for name, messages in errors.fields.items():
        head, _, rest = name.partition(".")
        if head == field and rest:
            index = rest.split(".", 1)[0]
            where = f"{int(index) + 1}: " if index.isdigit() else ""
            fields.setdefault(field, []).extend(f"{where}{m}" for m in messages)
        else:
            fields.setdefault(name, []).extend(messages)
    return FormErrors(fields=fields, message=errors.message)
