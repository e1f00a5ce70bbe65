"""Service-layer refusals as HTTP answers: 404, 403, 409 with the reason, 422 field by field
(and a 422 that can always be encoded, whatever the body held)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

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


class EncodableValidationRoute(APIRoute):
    """A 422 that can always be sent. FastAPI echoes the offending `input` in its validation
    errors; a lone surrogate (`"\\ud800"`, valid JSON, not encodable as UTF-8) there made the
    422 itself fail to encode, and a hostile body answered 500. Such characters are echoed as
    their escape instead."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def encodable(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise RequestValidationError(_encodable(exc.errors()), body=exc.body) from None

        return encodable


def _encodable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value
