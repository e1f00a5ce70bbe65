"""Render time of the reads behind the console's manager pages, with N applications in a cohort.

    .venv/bin/python -m benchmarks.manager_reads [--applications 10000] [--repeat 30] \\
        [--state-dir .state/bench]

Seeds one cohort of N applications (N/2 scored by two reviewers each in the document review),
and N enrollments (20 seats, the rest waitlisted; `seed_cohort.py`) in scratch schemas of the
Postgres of the stack of `--state-dir` (default: the test stack's; `bench_applications_test`,
`bench_programs_test`; never a service's schema), then calls each read in process (FastAPI
app, real token verification with that stack's Keycloak) and prints p50/p95 in ms and the
answer's size. Issue 16's goal for a page: under 50 ms at 10,000. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
from fastapi import FastAPI

from aihub_applications.entrypoints.app import definition as applications_definition
from aihub_applications.settings import Settings as ApplicationsSettings
from aihub_local.paths import state_dir_for_tests
from aihub_local.stack import LocalStack
from aihub_local.testing import (
    UNUSED_KAFKA_LOGIN,
    oidc_issuer_url,
    scratch_database_url,
    staff_token,
    use_stack_for_tokens,
)
from aihub_programs.entrypoints.app import definition as programs_definition
from aihub_programs.settings import Settings as ProgramsSettings
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.service import http_app
from benchmarks.seed_cohort import COHORT, MANAGER, seed_applications, seed_enrollments


def in_process(app: FastAPI, pool: asyncpg.Pool) -> httpx.AsyncClient:
    app.state.runtime = SimpleNamespace(pool=pool)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def timed(client: httpx.AsyncClient, path: str, token: str, repeat: int) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    (await client.get(path, headers=headers)).raise_for_status()  # warm (JWKS, plans)
    times, size = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        response = await client.get(path, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
        size = len(response.content)
    ordered = sorted(times)
    return {
        "p50 ms": f"{statistics.median(ordered):.1f}",
        "p95 ms": f"{ordered[int(0.95 * (len(ordered) - 1))]:.1f}",
        "bytes": f"{size:,}",
    }


async def main(n: int, repeat: int, state_dir: Path) -> None:
    endpoints = LocalStack(state_dir, fixed_ports=False).up()
    use_stack_for_tokens(endpoints)
    apps_pool = await create_pool(
        await scratch_database_url(endpoints, "bench_applications_test"), max_size=4
    )
    programs_pool = await create_pool(
        await scratch_database_url(endpoints, "bench_programs_test"), max_size=4
    )
    try:
        await apply_migrations(apps_pool, "aihub_applications")
        await apply_migrations(programs_pool, "aihub_programs")
        await seed_applications(apps_pool, n)
        await seed_enrollments(programs_pool, n)
        token = staff_token(MANAGER)
        settings = {"OIDC_ISSUER_URL": oidc_issuer_url(), **UNUSED_KAFKA_LOGIN}
        applications = applications_definition(
            ApplicationsSettings.model_validate(
                {"APPLICATIONS_DATABASE_URL": "postgresql://unused", **settings}
            )
        )
        programs = programs_definition(
            ProgramsSettings.model_validate(
                {"PROGRAMS_DATABASE_URL": "postgresql://unused", **settings}
            )
        )
        figures: dict[str, dict[str, str]] = {}
        async with in_process(http_app(applications), apps_pool) as client:
            for name, path in (
                ("ranking, first page", f"/cohorts/{COHORT}/ranking"),
                ("ranking, page at 5,000", f"/cohorts/{COHORT}/ranking?offset=5000"),
                ("ranking.csv (whole)", f"/cohorts/{COHORT}/ranking.csv"),
                ("pipeline", f"/cohorts/{COHORT}/pipeline"),
                ("reviewer progress", f"/cohorts/{COHORT}/stages/document-review/reviewers"),
                ("applications page", f"/applications?cohort_code={COHORT}&offset=5000"),
                ("applications search", f"/applications?cohort_code={COHORT}&q=founder77"),
            ):
                figures[name] = await timed(client, path, token, repeat)
        async with in_process(http_app(programs), programs_pool) as client:
            for name, path in (
                ("cohort (counts)", f"/cohorts/{COHORT}"),
                ("enrollments, first page", f"/cohorts/{COHORT}/enrollments"),
                ("enrollments, page at 5,000", f"/cohorts/{COHORT}/enrollments?offset=5000"),
            ):
                figures[name] = await timed(client, path, token, repeat)
    finally:
        await apps_pool.close()
        await programs_pool.close()
    print(f"{n:,} applications and enrollments in one cohort, {repeat} calls each")
    print(f"{'read':32} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>12}")
    for name, row in figures.items():
        print(f"{name:32} {row['p50 ms']:>8} {row['p95 ms']:>8} {row['bytes']:>12}")
    # The services' rankings kept in memory are part of the price of fast pages.
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {rss_mib:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="a stack of its own; default: the tests'"
    )
    arguments = parser.parse_args()
    state_dir = arguments.state_dir or state_dir_for_tests()
    asyncio.run(main(arguments.applications, arguments.repeat, state_dir))
