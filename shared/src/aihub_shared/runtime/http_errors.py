"""HTTP answers every service gives the same way: the service layers' refusals (`refusals.py`)
mapped to their status once, and 422s that can always be encoded."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from aihub_shared.refusals import Conflict, Forbidden, InvalidInput, NotFound, Refused

_STATUS_OF_REFUSAL: dict[type[Refused], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Forbidden: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
    InvalidInput: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def answer_refusals(app: FastAPI) -> None:
    """Each refusal as its HTTP status with the reason as `detail`; an `InvalidInput` in the same
    field-by-field shape as FastAPI's own validation errors, so clients parse one format."""

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refused)
        detail: Any = str(exc)
        if isinstance(exc, InvalidInput):
            detail = [
                {"loc": ["body", *loc], "msg": msg, "type": "value_error"}
                for loc, msg in exc.problems
            ]
        code = next(
            (code for kind, code in _STATUS_OF_REFUSAL.items() if isinstance(exc, kind)),
            status.HTTP_409_CONFLICT,
        )
        return JSONResponse(status_code=code, content={"detail": _encodable(detail)})

    app.add_exception_handler(Refused, refused)


def answer_validation_errors_encodably(app: FastAPI) -> None:
    """422s that can always be sent. FastAPI echoes the offending `input` in its validation
    errors; a lone surrogate (`"\\ud800"`: valid JSON, not encodable as UTF-8) there made the 422
    itself fail to encode, and a hostile body got a 500. Such characters are echoed escaped."""

    async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        detail = _encodable(jsonable_encoder(exc.errors()))
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
        )

    app.add_exception_handler(RequestValidationError, validation_failed)


def _encodable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value
