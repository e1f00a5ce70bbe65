"""Why a use case refuses a request: the service layers' one vocabulary, free of any framework.

`http_app()` maps each kind to its HTTP answer once (`runtime/http_errors.py`); a route never
raises an HTTP error of its own. Failures of consumed events have their own three words
(`runtime/errors.py`: rejected, retry later, transient).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

#: The values a reason's code is read with (`{"stage": "document-review"}`): what a client
#: needs to say the reason in its reader's language.
Params = Mapping[str, str | int | float]


class Refused(Exception):
    """A request the service will not carry out; the message is the reason shown to the caller.

    `code` (optional, stable, snake_case) and `params` let a client say the same reason in its
    reader's language (the console's catalogs); the English message stays the reason of record.
    """

    def __init__(self, message: str = "", *, code: str | None = None, params: Params | None = None):
        super().__init__(message)
        self.code = code
        self.params: dict[str, str | int | float] = dict(params or {})


class NotFound(Refused, LookupError):
    """No such thing, or none the caller may know of (404)."""


class Forbidden(Refused):
    """The caller may not do this to this thing (403)."""


class Conflict(Refused):
    """The request is valid but the current state does not allow it (409)."""


class Problem(NamedTuple):
    """One field's problem: where in the body, the English message, and (like pydantic's own
    `type` and `ctx`) a stable code with its values."""

    loc: tuple[str | int, ...]
    msg: str
    code: str = "value_error"
    params: Params = MappingProxyType({})


class InvalidInput(Refused, ValueError):
    """Input well-formed on its own but wrong in context (422), field by field: each problem is a
    location inside the body and a message (a `Problem` when it has a code of its own)."""

    def __init__(self, problems: Sequence[tuple[tuple[str | int, ...], str] | Problem]) -> None:
        found = [Problem(*problem) for problem in problems]
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in found))
        self.problems = found
