"""A hostile body gets a 422 naming the field, never a 500 — in every service (shared handler)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from aihub_shared.contracts.values import SingleLineText
from aihub_shared.runtime.http_errors import answer_validation_errors_encodably


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
