"""The running console (started by the pytest plugin against the real stack), over plain HTTP:
security headers on every answer, the session cookie's flags and what the table keeps of it,
CSRF refusals with their reason."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from aihub_console.entrypoints.session_middleware import ServerSideSessions
from aihub_local.stack import StackEndpoints

pytestmark = pytest.mark.integration

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def browser_like(console: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=console, timeout=10) as client:
        yield client


async def test_every_page_carries_the_security_headers(browser_like: httpx.AsyncClient) -> None:
    for path in ("/", "/no-such-page", "/static/app.css"):
        answer = await browser_like.get(path)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy, path
        assert "style-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert "unsafe-eval" not in policy, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert (await browser_like.get("/no-such-page")).status_code == 404


async def test_the_cookie_carries_only_an_opaque_id_the_table_only_its_hash(
    browser_like: httpx.AsyncClient, local_stack: StackEndpoints
) -> None:
    answer = await browser_like.get("/")
    cookie = answer.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "SameSite=Lax" in cookie
    # Local plain http: not Secure (SESSION_COOKIE_SECURE=false), see the next test for https.
    session_id = browser_like.cookies["aihub_session"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id)
    assert answer.headers["cache-control"] == "no-store"

    conn = await asyncpg.connect(local_stack.service_database_url("console"))
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM sessions WHERE id_hash = $1",
            hashlib.sha256(session_id.encode()).digest(),
        )
        as_given = await conn.fetchval(
            "SELECT count(*) FROM sessions WHERE id_hash = $1", session_id.encode()
        )
    finally:
        await conn.close()
    assert (stored, as_given) == (1, 0)


def test_a_secure_cookie_is_host_only_by_its_prefix() -> None:
    sessions = ServerSideSessions(lambda *_: None, secure=True, max_age=600)  # type: ignore[arg-type]
    cookie = sessions._set_cookie("opaque")
    assert cookie.startswith("__Host-aihub_session=opaque;")
    for attribute in ("; Secure", "; HttpOnly", "; Path=/", "; SameSite=Lax"):
        assert attribute in cookie
    assert "Domain" not in cookie


async def test_a_state_change_needs_the_session_token_and_the_console_origin(
    browser_like: httpx.AsyncClient, console: str
) -> None:
    page = await browser_like.get("/")
    token = CSRF_FIELD.search(page.text)
    assert token is not None
    good = {"csrf_token": token.group(1), "next": "/"}

    missing = await browser_like.post("/lang/en", data={"next": "/"}, headers={"Origin": console})
    assert missing.status_code == 403
    assert "security token" in missing.text

    wrong = await browser_like.post(
        "/lang/en", data={**good, "csrf_token": "forged"}, headers={"Origin": console}
    )
    assert wrong.status_code == 403

    elsewhere = await browser_like.post(
        "/lang/en", data=good, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert "https://evil.example" in elsewhere.text

    unsaid = await browser_like.post("/lang/en", data=good)
    assert unsaid.status_code == 403

    # The header htmx sends works as the form field does; the switch then takes effect.
    by_header = await browser_like.post(
        "/lang/en",
        data={"next": "/"},
        headers={"Origin": console, "X-CSRF-Token": token.group(1)},
    )
    assert by_header.status_code == 303
    assert (await browser_like.get("/")).text.startswith('<!doctype html>\n<html lang="en">')


async def test_ready_when_its_database_answers(browser_like: httpx.AsyncClient) -> None:
    answer = await browser_like.get("/health/ready")
    assert answer.status_code == 200
    assert answer.json()["checks"]["postgres"]["ok"] is True
