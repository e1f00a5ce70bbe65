"""The console's core in a real browser: signing in through Keycloak's own form and out again
(the provider's session ends too), the language switch, the CSP holding on every page, tokens
never in a URL or the console's log; axe-core and a screenshot on every page visited."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from playwright.async_api import Page

from aihub_console.adapters.session_seal import SessionSeal
from aihub_local.platform import CONSOLE, PlatformServices, console_session_keys
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount
from tests.browser.conftest import Screenshot, SignedIn, sign_in_at_keycloak
from tests.browser.support import JWT_PATTERN, assert_accessible

SEALED_SESSION = "SELECT sealed FROM sessions WHERE id_hash = $1"
REVIEWER = StaffAccount("console-core-reviewer@hub.example", name="Core Reviewer")


async def test_sign_in_and_out_ends_the_provider_session(
    signed_in: SignedIn,
    screenshot: Screenshot,
    console: str,
    local_stack: StackEndpoints,
    platform: PlatformServices,
    browser_console: dict[Page, list[str]],
) -> None:
    requested: list[str] = []
    page = await signed_in(REVIEWER)
    page.on("request", lambda request: requested.append(request.url))
    # Korean by default; the person's name from the ID token; the way to their reviews.
    assert await page.get_attribute("html", "lang") == "ko"
    await page.get_by_text("Core Reviewer 님으로 로그인했습니다").wait_for()
    await page.get_by_role("link", name="내 심사").first.wait_for()
    await assert_accessible(page)
    await screenshot(page, "core-home-signed-in")

    await page.get_by_role("button", name="로그아웃").click()
    await page.wait_for_url(f"{console}/")
    await page.get_by_text("로그아웃했습니다.").wait_for()
    await page.get_by_role("link", name="로그인").first.wait_for()
    await assert_accessible(page)
    await screenshot(page, "core-home-signed-out")

    # The provider's session ended too: signing in asks for the password again.
    await page.goto("/auth/login")
    await sign_in_at_keycloak(page, local_stack, REVIEWER)
    await page.wait_for_url(f"{console}/")
    await page.get_by_text("Core Reviewer 님으로 로그인했습니다").wait_for()

    # No token in any URL the browser asked for, none in the console's log, no CSP violation.
    assert not [url for url in requested if JWT_PATTERN.search(url)]
    log_file = Path(platform.process(CONSOLE).log_file)
    log = await asyncio.to_thread(log_file.read_text, encoding="utf-8")
    assert not JWT_PATTERN.search(log)
    assert not [m for m in browser_console[page] if "Content Security Policy" in m]


async def test_an_access_token_about_to_expire_is_refreshed_before_a_service_call(
    signed_in: SignedIn, local_stack: StackEndpoints, console: str
) -> None:
    page = await signed_in(REVIEWER)
    (cookie,) = [c for c in await page.context.cookies(console) if c["name"] == "aihub_session"]
    id_hash = hashlib.sha256(cookie["value"].encode()).digest()
    # The row is sealed with the local key (`.state`): opened here as the console opens it.
    keys = console_session_keys(local_stack.state_dir).read_text(encoding="utf-8").split()
    seal = SessionSeal(keys)
    conn = await asyncpg.connect(local_stack.service_database_url("console"))
    try:
        sealed = await conn.fetchval(SEALED_SESSION, id_hash)
        data = seal.open(id_hash, sealed)
        assert data is not None
        before = dict(data["tokens"])
        # At rest the tokens are not readable: neither a token nor even the field's name.
        assert before["access_token"].encode() not in sealed
        assert b"access_token" not in sealed
        # As if the five minutes of Keycloak's access token were nearly over.
        data["tokens"]["expires_at"] = time.time() + 5
        await conn.execute(
            "UPDATE sessions SET sealed = $2 WHERE id_hash = $1", id_hash, seal.seal(id_hash, data)
        )
        await page.goto("/reviews")
        await page.get_by_role("heading", name="내 심사").wait_for()
        reopened = seal.open(id_hash, await conn.fetchval(SEALED_SESSION, id_hash))
        assert reopened is not None
        after = reopened["tokens"]
    finally:
        await conn.close()
    # Keycloak answered the refresh: a new access token, a new refresh token (it rotates them).
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert after["expires_at"] > time.time() + 60


async def test_language_switch(
    signed_in: SignedIn, screenshot: Screenshot, browser_console: dict[Page, list[str]]
) -> None:
    page = await signed_in(REVIEWER)
    await page.get_by_role("button", name="English").click()
    await page.get_by_role("link", name="My reviews").first.wait_for()
    assert await page.get_attribute("html", "lang") == "en"
    await assert_accessible(page)
    await screenshot(page, "core-home-english")
    await page.get_by_role("button", name="한국어").click()
    await page.get_by_role("link", name="내 심사").first.wait_for()
    assert await page.get_attribute("html", "lang") == "ko"
    assert not [m for m in browser_console[page] if "Content Security Policy" in m]


async def test_a_page_needing_sign_in_comes_back_after_it(
    new_page: Callable[[], Awaitable[Page]], local_stack: StackEndpoints, console: str
) -> None:
    page = await new_page()
    await page.goto("/reviews")
    await sign_in_at_keycloak(page, local_stack, REVIEWER)
    await page.wait_for_url(f"{console}/reviews")
    await page.get_by_role("heading", name="내 심사").wait_for()
