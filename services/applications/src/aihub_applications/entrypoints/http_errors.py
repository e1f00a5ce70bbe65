"""Service-layer refusals as HTTP answers: 404, 403, 409 with the reason, 422 field by field.
(That a 422 can always be encoded, whatever the body held, is the shared runtime's job.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException, status

from aihub_applications.domain.status import RuleBroken
from aihub_applications.service_layer.errors import Forbidden, InvalidInput, NotFound


@contextmanager
def answered_as_http() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except Forbidden as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
    except RuleBroken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except InvalidInput as exc:
        # The same shape as FastAPI's own validation errors, so clients parse one format.
        detail = [
            {"loc": ["body", *loc], "msg": msg, "type": "value_error"} for loc, msg in exc.problems
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from exc
