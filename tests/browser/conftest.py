"""Browser tests of the staff console: Playwright for Python driving Debian's chromium against
the real stack (Keycloak, Kafka, Postgres, SMTP capture, the three services and the console of
the pytest plugin). One browser per session; a fresh browser context (cookies) per signed-in
person.

Fixtures: `browser`, `anonymous_page` (a page of a new context, not signed in), `signed_in`
(`await signed_in(StaffAccount(...))` → a page signed in through the real Keycloak login form),
`screenshot` (`await screenshot(page, "name")` → `.state/test/screenshots/name.png`) and
`assert_accessible` (axe-core, serious and critical violations fail).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Protocol

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from aihub_local.stack import StackEndpoints
from aihub_local.staff_accounts import password_of
from aihub_local.testing import StaffAccount
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, assert_accessible, screenshot_dir


class SignedIn(Protocol):
    """`await signed_in(account)`: a page of a new browser context, signed in through Keycloak's
    login form (starting at `start`, by default the sign-in itself)."""

    async def __call__(self, account: StaffAccount, *, start: str = "/auth/login") -> Page: ...


Screenshot = Callable[[Page, str], Awaitable[Path]]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def contexts(browser: Browser, console: str) -> AsyncIterator[list[BrowserContext]]:
    """The test's browser contexts (one per person), closed when it ends."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        await context.close()


@pytest.fixture
def browser_console() -> dict[Page, list[str]]:
    """What each page logged to the browser's console (a CSP violation shows there)."""
    return {}


@pytest.fixture
async def new_page(
    browser: Browser,
    console: str,
    contexts: list[BrowserContext],
    browser_console: dict[Page, list[str]],
) -> Callable[[], Awaitable[Page]]:
    async def open_page() -> Page:
        context = await browser.new_context(base_url=console, locale="ko-KR")
        contexts.append(context)
        page = await context.new_page()
        logged = browser_console.setdefault(page, [])
        page.on("console", lambda message: logged.append(message.text))
        return page

    return open_page


@pytest.fixture
async def anonymous_page(new_page: Callable[[], Awaitable[Page]]) -> Page:
    return await new_page()


@pytest.fixture
def signed_in(
    new_page: Callable[[], Awaitable[Page]], local_stack: StackEndpoints, console: str
) -> SignedIn:
    async def sign_in(account: StaffAccount, *, start: str = "/auth/login") -> Page:
        account.token()  # the account exists in Keycloak, with its roles and local password
        page = await new_page()
        await page.goto(start)
        await sign_in_at_keycloak(page, local_stack, account)
        await page.wait_for_url(lambda url: url.startswith(console) and "/auth/" not in url)
        return page

    return sign_in


async def sign_in_at_keycloak(page: Page, stack: StackEndpoints, account: StaffAccount) -> None:
    """Fill in Keycloak's own login form, as a person does."""
    await page.wait_for_url(lambda url: url.startswith(stack.keycloak_url))
    await page.fill("#username", account.email)
    await page.fill("#password", password_of(stack, account.email))
    await page.click("#kc-login")


@pytest.fixture
def screenshot(local_stack: StackEndpoints) -> Screenshot:
    directory = screenshot_dir(local_stack.state_dir)

    async def take(page: Page, name: str) -> Path:
        path = directory / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(name="assert_accessible")
def assert_accessible_fixture() -> Callable[[Page], Awaitable[None]]:
    return assert_accessible
