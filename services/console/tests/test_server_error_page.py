"""A 500 carries the security headers like every other answer: Starlette sends it from outside
every middleware, so the console's handler sets them itself."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from aihub_console.entrypoints.errors import install_error_pages
from aihub_console.entrypoints.security_headers import SecurityHeaders, security_headers


async def test_a_server_error_answers_with_the_security_headers() -> None:
    headers = security_headers(identity_provider_origin="http://127.0.0.1:8080", hsts=True)
    app = FastAPI()
    install_error_pages(app, headers)
    app.add_middleware(SecurityHeaders, headers=headers)

    @app.get("/fails")
    async def fails() -> str:
        raise RuntimeError("a bug")

    @app.get("/works")
    async def works() -> str:
        return "fine"

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        failed = await client.get("/fails")
        worked = await client.get("/works")
    assert failed.status_code == 500
    assert "a bug" not in failed.text  # no traceback or message shown to the person
    for name, value in headers.items():
        assert failed.headers[name] == value, name
        assert worked.headers[name] == value, name
    assert "unsafe-inline" not in failed.headers["content-security-policy"]
    assert failed.headers["cache-control"] == "no-store"
