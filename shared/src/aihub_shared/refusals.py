"""Why a use case refuses a request: the service layers' one vocabulary, free of any framework.

`http_app()` maps each kind to its HTTP answer once (`runtime/http_errors.py`); a route never
raises an HTTP error of its own. Failures of consumed events have their own three words
(`runtime/errors.py`: rejected, retry later, transient).
"""

from __future__ import annotations


class Refused(Exception):
    """A request the service will not carry out; the message is the reason shown to the caller."""


class NotFound(Refused, LookupError):
    """No such thing, or none the caller may know of (404)."""


class Forbidden(Refused):
    """The caller may not do this to this thing (403)."""


class Conflict(Refused):
    """The request is valid but the current state does not allow it (409)."""


class InvalidInput(Refused, ValueError):
    """Input well-formed on its own but wrong in context (422), field by field: each problem is a
    location inside the body and a message."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))
        self.problems = problems
