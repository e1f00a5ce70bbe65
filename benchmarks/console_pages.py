"""Render time of the staff console's pages, as a signed-in person sees them.

    .venv/bin/python -m benchmarks.console_pages [--state-dir .state/dev] \\
        [--account reviewer@hub.example] [--page /reviews --page /] [--requests 50]

Signs in through the real Keycloak login form in Debian's chromium (no token by hand), then
requests each page
`--requests` times one after the other and prints p50/p95/max in milliseconds and how many
answers were not 200; asserts nothing. The console and the stack are the ones `./dev up` started
(or `--console URL` with `--state-dir` of its stack). What each page costs includes the services'
answers it waits for.

`--manager-cohort 10000` measures the program manager's pages instead: it first writes a cohort
of that many applications and enrollments (`benchmarks/seed_cohort.py`: straight into the
applications and programs schemas through the services' own dev login roles; no events, no
mails; the cohort `bench-10k` only, replaced on each run) and signs in as its manager.

    .venv/bin/python -m benchmarks.console_pages --manager-cohort 10000 --requests 20

Half the seeded applications are scored (the advance page answers the service's 409: too few
reviews); `--all-scored` scores them all, so the advance page previews all 10,000 (50 a page).

`--ops` measures the ops and outcomes pages as the demo ops account (with `--manager-cohort`,
also that cohort's outcomes). `--own-platform` starts the stack of `--state-dir` if it is not
running, then the three services and the console on free ports (as the tests' plugin does), and
stops them afterwards. Use a state directory of its own, never the tests' `.state/test`: the
seeded cohort has no events behind it, and a later event about one of its enrollments (a
republished catalog) waits in notifications for an application it never heard of, holding up
that partition for the tests that follow.

    .venv/bin/python -m benchmarks.console_pages --state-dir .state/bench --own-platform \\
        --manager-cohort 10000 --ops --requests 20
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
from aihub_local.platform import (
    CONSOLE,
    DEV_HTTP_PORTS,
    PlatformServices,
    create_topics,
    recorded_services,
)
from aihub_local.stack import LocalStack, StackEndpoints
from aihub_local.staff_accounts import ensure_demo_accounts, password_of
from aihub_local.testing import staff_token, use_stack_for_tokens
from aihub_shared.runtime.db import create_pool
from benchmarks import seed_cohort

DEFAULT_PAGES = ("/", "/reviews")
#: The manager pages of the seeded cohort (`{c}`), `{a}` one of its applications.
MANAGER_PAGES = (
    "/cohorts",
    "/cohorts/{c}",
    "/cohorts/{c}/applications",
    "/cohorts/{c}/applications?offset=5000",
    "/cohorts/{c}/applications?q=founder77",
    "/applications/{a}",
    "/cohorts/{c}/reviewers",
    "/cohorts/{c}/challenges",
    "/cohorts/{c}/stages/document-review/advance",
    "/cohorts/{c}/stages/document-review/advance?offset=5000",
    "/cohorts/{c}/ranking",
    "/cohorts/{c}/ranking?offset=5000",
    "/cohorts/{c}/enrollments",
    "/cohorts/{c}/enrollments?offset=5000",
    "/cohorts/{c}/settings",
)
#: The ops and outcomes pages; `{c}` (the seeded cohort's outcomes) only with a seeded cohort.
OPS_ACCOUNT = "ops@hub.example"
OPS_PAGES = (
    "/ops/health",
    "/ops/dead-letters",
    "/ops/outbox",
    "/ops/deliveries",
    "/ops/staff",
    "/outcomes",
)
COHORT_OUTCOMES = "/outcomes?cohort={c}"


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


async def seeded_manager_pages(
    endpoints: StackEndpoints, n: int, *, all_scored: bool
) -> tuple[str, list[str]]:
    """Writes the benchmark cohort into the stack's services' schemas; its manager and pages."""

    use_stack_for_tokens(endpoints)
    await asyncio.to_thread(staff_token, seed_cohort.MANAGER)  # the manager's account exists
    # The services' own dev login roles (their schema on their search_path).
    applications = await create_pool(endpoints.service_database_url("applications"))
    programs = await create_pool(endpoints.service_database_url("programs"))
    try:
        await seed_cohort.seed_enrollments(programs, n)
        await seed_cohort.seed_applications(applications, n, scored_every=1 if all_scored else 2)
        one = await applications.fetchval(
            "SELECT id::text FROM applications WHERE cohort_code = $1 LIMIT 1", seed_cohort.COHORT
        )
    finally:
        await applications.close()
        await programs.close()
    pages = [p.format(c=seed_cohort.COHORT, a=one) for p in MANAGER_PAGES]
    return seed_cohort.MANAGER, pages


async def measure_as(
    console: str, endpoints: StackEndpoints, account: str, pages: list[str], requests: int
) -> None:
    cookies = await session_cookie(console, account, password_of(endpoints, account))
    async with httpx.AsyncClient(timeout=30, cookies=cookies) as client:
        print(f"console {console}, signed in as {account}, {requests} requests a page")
        print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'not 200':>8}")
        for page in pages:
            t = await measure(client, console, page, requests)
            print(f"{t.page:<40} {t.p50_ms:8.1f} {t.p95_ms:8.1f} {t.max_ms:8.1f} {t.not_ok:8d}")


def own_platform(endpoints: StackEndpoints) -> PlatformServices:
    """The services and the console on free ports, as the tests' plugin starts them."""
    create_topics(endpoints)
    log_dir = endpoints.state_dir / "logs" / "benchmark"
    log_dir.mkdir(parents=True, exist_ok=True)
    platform = PlatformServices(endpoints, log_dir=log_dir)
    platform.start_all()
    platform.start(CONSOLE)
    return platform


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, default=None, help="default: the dev stack")
    parser.add_argument("--console", default=None, help="default: as `./dev up` recorded it")
    parser.add_argument("--account", default="reviewer@hub.example")
    parser.add_argument("--page", action="append", dest="pages", help="repeatable")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--manager-cohort", type=int, default=0, help="seed N applications, measure manager pages"
    )
    parser.add_argument(
        "--all-scored",
        action="store_true",
        help="every seeded application scored (the advance page previews all, not a 409)",
    )
    parser.add_argument("--ops", action="store_true", help="measure the ops and outcomes pages")
    parser.add_argument("--own-platform", action="store_true", help="start services + console")
    args = parser.parse_args()

    stack = LocalStack(args.state_dir or default_state_dir(), fixed_ports=not args.own_platform)
    endpoints = stack.endpoints()
    if endpoints is None and args.own_platform:
        endpoints = await asyncio.to_thread(stack.up)
    if endpoints is None:
        raise SystemExit(f"no running stack in {stack.state_dir}: ./dev up first")
    # Blocking starts (and topic creation on its own event loop): in a thread.
    platform = await asyncio.to_thread(own_platform, endpoints) if args.own_platform else None
    try:
        console = (
            platform.url(CONSOLE) if platform else args.console or console_url(endpoints.state_dir)
        )
        groups: list[tuple[str, list[str]]] = []
        if args.manager_cohort:
            groups.append(
                await seeded_manager_pages(
                    endpoints, args.manager_cohort, all_scored=args.all_scored
                )
            )
        if args.ops:
            # The demo ops account exists on a stack `./dev up` started, not yet on a new one.
            await asyncio.to_thread(ensure_demo_accounts, endpoints)
            ops_pages = list(OPS_PAGES)
            if args.manager_cohort:
                ops_pages.append(COHORT_OUTCOMES.format(c=seed_cohort.COHORT))
            groups.append((OPS_ACCOUNT, ops_pages))
        if not groups:
            groups.append((args.account, list(args.pages or DEFAULT_PAGES)))
        for account, pages in groups:
            await measure_as(console, endpoints, account, pages, args.requests)
    finally:
        if platform is not None:
            await asyncio.to_thread(platform.stop_all)


if __name__ == "__main__":
    asyncio.run(main())
