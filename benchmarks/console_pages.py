"""Render time of the staff console's pages, as a signed-in person sees them.

    .venv/bin/python benchmarks/console_pages.py [--state-dir .state/dev] \\
        [--account reviewer@hub.example] [--page /reviews --page /] [--requests 50]

Signs in through the real Keycloak login form in Debian's chromium (no token by hand), then
requests each page
`--requests` times one after the other and prints p50/p95/max in milliseconds and how many
answers were not 200; asserts nothing. The console and the stack are the ones `./dev up` started
(or `--console URL` with `--state-dir` of its stack). What each page costs includes the services'
answers it waits for. The program-manager pages' data (a cohort of 10,000 applications) is set up
by whoever measures them; this script only measures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from aihub_local.browser import CHROMIUM, CHROMIUM_ARGS
from aihub_local.paths import default_state_dir
from aihub_local.platform import CONSOLE, DEV_HTTP_PORTS, recorded_services
from aihub_local.stack import LocalStack
from aihub_local.staff_accounts import password_of

DEFAULT_PAGES = ("/", "/reviews")


@dataclass(frozen=True)
class Timing:
    page: str
    p50_ms: float
    p95_ms: float
    max_ms: float
    not_ok: int


async def session_cookie(console: str, email: str, password: str) -> dict[str, str]:
    """Signs in as a person does, in Debian's chromium through Keycloak's own form (Keycloak's
    cookies are `Secure`, which a browser honours on http://127.0.0.1 and httpx does not), and
    returns the console's session cookie for the measuring client."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{console}/auth/login")
            await page.fill("#username", email)
            await page.fill("#password", password)
            await page.click("#kc-login")
            await page.wait_for_url(lambda url: url.startswith(console) and "/auth/" not in url)
            cookies = await page.context.cookies(console)
        finally:
            await browser.close()
    return {c["name"]: c["value"] for c in cookies if "aihub_session" in c.get("name", "")}


async def measure(client: httpx.AsyncClient, console: str, page: str, requests: int) -> Timing:
    took: list[float] = []
    not_ok = 0
    for _ in range(requests):
        started = time.perf_counter()
        answer = await client.get(f"{console}{page}")
        took.append((time.perf_counter() - started) * 1000)
        not_ok += answer.status_code != 200
    cuts = statistics.quantiles(took, n=20, method="inclusive")  # 5 % steps: [9] p50, [18] p95
    return Timing(page, cuts[9], cuts[18], max(took), not_ok)


def console_url(state_dir: Path) -> str:
    port = recorded_services(state_dir).get(CONSOLE, {}).get("port", DEV_HTTP_PORTS[CONSOLE])
    return f"http://127.0.0.1:{port}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, default=None, help="default: the dev stack")
    parser.add_argument("--console", default=None, help="default: as `./dev up` recorded it")
    parser.add_argument("--account", default="reviewer@hub.example")
    parser.add_argument("--page", action="append", dest="pages", help="repeatable")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    stack = LocalStack(args.state_dir or default_state_dir(), fixed_ports=True)
    endpoints = stack.endpoints()
    if endpoints is None:
        raise SystemExit(f"no running stack in {stack.state_dir}: ./dev up first")
    console = args.console or console_url(endpoints.state_dir)
    cookies = await session_cookie(console, args.account, password_of(endpoints, args.account))
    async with httpx.AsyncClient(timeout=30, cookies=cookies) as client:
        print(f"console {console}, signed in as {args.account}, {args.requests} requests a page")
        print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'not 200':>8}")
        for page in args.pages or DEFAULT_PAGES:
            t = await measure(client, console, page, args.requests)
            print(f"{t.page:<40} {t.p50_ms:8.1f} {t.p95_ms:8.1f} {t.max_ms:8.1f} {t.not_ok:8d}")


if __name__ == "__main__":
    asyncio.run(main())
