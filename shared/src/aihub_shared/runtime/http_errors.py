"""HTTP answers every service gives the same way."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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
