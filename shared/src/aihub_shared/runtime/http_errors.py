"""HTTP answers every service gives the same way: the service layers' refusals (`refusals.py`)
mapped to their status once, 422s that can always be encoded, 503 while Postgres is down — and
the one table (`error_responses`) with which every route declares them in OpenAPI."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute, Match

from aihub_shared.refusals import Conflict, Forbidden, InvalidInput, NotFound, Refused

log = structlog.get_logger(__name__)

#: What a client waits before trying again while the database is unavailable.
RETRY_AFTER_SECONDS = 5

#: Faults that mean "Postgres cannot be reached now", not a bug: refused or lost connections, a
#: server shutting down or starting up.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


class ErrorBody(BaseModel):
    """Every refusal but a validation error: the reason, for a person to read."""

    detail: str = Field(description="Why the request was refused (English).")
    code: str | None = Field(
        default=None,
        description="A stable name of the reason, when it has one: a client may show its own"
        " words for it (in the reader's language) with `params`.",
    )
    params: dict[str, str | int | float] | None = Field(
        default=None, description="The values the reason names (with `code`)."
    )


class ValidationProblem(BaseModel):
    model_config = ConfigDict(extra="allow")  # FastAPI adds `input` and `ctx` where it can

    loc: list[str | int] = Field(description="`body`, `query`, `path` or `header`, then the field.")
    msg: str
    type: str = Field(description="A stable name of the problem (pydantic's, or the service's).")
    ctx: dict[str, Any] | None = Field(default=None, description="The values it names.")


class ValidationErrorBody(BaseModel):
    """A 422: every problem, field by field."""

    detail: list[ValidationProblem]


_ERROR_ANSWERS: dict[int, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body could not be read (not JSON in UTF-8)."},
    401: {"model": ErrorBody, "description": "No staff token, or a forged or expired one."},
    403: {"model": ErrorBody, "description": "The caller's role or programs do not allow this."},
    404: {"model": ErrorBody, "description": "No such thing, or none the caller may see."},
    409: {"model": ErrorBody, "description": "The current state does not allow this now."},
    413: {"model": ErrorBody, "description": "The request body is over the size limit."},
    422: {"model": ValidationErrorBody, "description": "Invalid input, field by field."},
    503: {
        "model": ErrorBody,
        "description": "The database is unavailable; try again after `Retry-After` seconds.",
        "headers": {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        },
    },
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` of a route or router: each status it can answer, with its body.
    A router's and its routes' tables add up."""
    return {code: _ERROR_ANSWERS[code] for code in codes}


#: What every staff route can answer: no or a bad token, a role that may not, invalid parameters,
#: the database down. Routes add 404, 409 and 413 (a body) where they can happen.
STAFF_ROUTE_ERRORS = error_responses(401, 403, 422, 503)
#: A route that reads one thing by its path.
READ_ONE_ERRORS = error_responses(404)
#: A route that changes one thing named in its path, with a body.
CHANGE_ERRORS = error_responses(400, 404, 409, 413)


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
        content: dict[str, Any] = {"detail": str(exc)}
        if isinstance(exc, InvalidInput):
            content["detail"] = [
                {"loc": ["body", *p.loc], "msg": p.msg, "type": p.code}
                | ({"ctx": dict(p.params)} if p.params else {})
                for p in exc.problems
            ]
        elif exc.code:
            content |= {"code": exc.code, "params": exc.params}
        code = next(
            (code for kind, code in _STATUS_OF_REFUSAL.items() if isinstance(exc, kind)),
            status.HTTP_409_CONFLICT,
        )
        return JSONResponse(status_code=code, content=_encodable(content))

    app.add_exception_handler(Refused, refused)


def answer_method_not_allowed_truly(app: FastAPI) -> None:
    """A 405 whose `Allow` lists every method of the path. Starlette names only the methods of
    the first route matching the path, and FastAPI adds one route per method (`PUT` and
    `DELETE /staff/{email}` are two), so `Allow` left some out."""

    async def not_allowed(request: Request, exc: Exception) -> JSONResponse:
        methods: set[str] = set()
        for route in _every_route(request.app.router.routes):
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= getattr(route, "methods", None) or set()
        return JSONResponse(
            status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
            content={"detail": "Method Not Allowed"},
            headers={"Allow": ", ".join(sorted(methods))},
        )

    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, not_allowed)


def _every_route(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    # FastAPI (0.16x) keeps an included router as one entry holding the original router; ours
    # are included without a prefix, so their routes' paths are already the full paths.
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _every_route(included.routes)
        else:
            yield route


def answer_database_unavailable(app: FastAPI) -> None:
    """While Postgres cannot be reached: 503 with `Retry-After` and one log line, instead of a
    500 with a traceback."""

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning(
            "database unavailable; answered 503", path=request.url.path, error=type(exc).__name__
        )
        return JSONResponse(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            content={"detail": "the database is unavailable; try again shortly"},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, unavailable)


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
