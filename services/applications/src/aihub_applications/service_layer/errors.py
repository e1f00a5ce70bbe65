"""What the service layer refuses, besides a broken rule (`domain.status.RuleBroken`, 409)."""

from __future__ import annotations


class NotFound(LookupError):
    """No such application, cohort or stage (404)."""


class Forbidden(Exception):
    """The caller may not do this to this application or cohort (403)."""


class InvalidInput(ValueError):
    """Input well-formed on its own but wrong for this cohort or stage (422), field by field."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))
        self.problems = problems
