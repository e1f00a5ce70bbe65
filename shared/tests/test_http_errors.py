"""A hostile body gets a 422 naming the field, never a 500 — in every service (shared handler)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from aihub_shared.contracts.values import SingleLineText
from aihub_shared.refusals import Conflict, Forbidden, InvalidInput, NotFound, Problem, Refused
from aihub_shared.runtime.http_errors import (
    answer_method_not_allowed_truly,
    answer_refusals,
    answer_validation_errors_encodably,
)


class Body(BaseModel):
    name: SingleLineText


async def test_a_lone_surrogate_is_echoed_escaped_in_a_422() -> None:
    app = FastAPI()
    answer_validation_errors_encodably(app)

    @app.post("/things")
    async def create(body: Body) -> str:
        return body.name

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        # Valid JSON, but "\ud800" cannot be encoded as UTF-8 when FastAPI echoes it back.
        answer = await client.post(
            "/things",
            content=b'{"name": "a\\ud800\\r\\nBcc: x"}',
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "name"]
    assert "\\ud800" in error["input"]


async def test_each_refusal_is_answered_with_its_status_and_reason() -> None:
    app = FastAPI()
    answer_refusals(app)
    refusals: dict[str, Refused] = {
        "missing": NotFound("no application 'x'"),
        "forbidden": Forbidden("you do not manage program 'cv'"),
        "conflict": Conflict("the application was already decided"),
        "invalid": InvalidInput([(("scores", "team"), "must be at most 10")]),
        "coded": Conflict(
            "the stage document-review is closed",
            code="stage_closed",
            params={"stage": "document-review"},
        ),
        "coded_invalid": InvalidInput(
            [Problem(("seats",), "at most 10000", "seats_over", {"le": 10_000})]
        ),
    }

    @app.get("/refuse/{kind}")
    async def refuse(kind: str) -> str:
        raise refusals[kind]

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = {kind: await client.get(f"/refuse/{kind}") for kind in refusals}
    assert {kind: a.status_code for kind, a in answers.items()} == {
        "missing": 404,
        "forbidden": 403,
        "conflict": 409,
        "invalid": 422,
        "coded": 409,
        "coded_invalid": 422,
    }
    assert answers["missing"].json() == {"detail": "no application 'x'"}
    # A reason with a stable name carries it and its values beside the English text.
    assert answers["coded"].json() == {
        "detail": "the stage document-review is closed",
        "code": "stage_closed",
        "params": {"stage": "document-review"},
    }
    assert answers["coded_invalid"].json() == {
        "detail": [
            {
                "loc": ["body", "seats"],
                "msg": "at most 10000",
                "type": "seats_over",
                "ctx": {"le": 10_000},
            }
        ]
    }
    assert answers["invalid"].json() == {
        "detail": [
            {"loc": ["body", "scores", "team"], "msg": "must be at most 10", "type": "value_error"}
        ]
    }


async def test_a_405_allows_every_method_of_the_path_across_routers() -> None:
    app = FastAPI()
    answer_method_not_allowed_truly(app)
    router = APIRouter()

    @router.put("/staff/{email}")
    async def put(email: str) -> str:
        return email

    @router.delete("/staff/{email}")
    async def delete(email: str) -> None:
        return None

    outer = APIRouter()
    outer.include_router(router)
    app.include_router(outer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/staff/kim@hub.example")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, PUT"
