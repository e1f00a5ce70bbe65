"""Render time of the reads behind the console's manager pages, with N applications in a cohort.

    .venv/bin/python benchmarks/manager_reads.py [--applications 10000] [--repeat 30]

Seeds one cohort of N applications (N/2 scored by two reviewers each in the document review),
and N enrollments (20 seats, the rest waitlisted) in scratch schemas of the test stack's
Postgres (`bench_applications_test`, `bench_programs_test`; never a service's schema), then
calls each read in process (FastAPI app, real token verification with the test stack's
Keycloak) and prints p50/p95 in ms and the answer's size. Issue 16's goal for a page: under
50 ms at 10,000. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from aihub_applications.adapters import catalog_replica
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
    valid_brn,
)
from aihub_programs.domain.catalog import ProgramSpec
from aihub_programs.entrypoints.app import definition as programs_definition
from aihub_programs.service_layer import catalog
from aihub_programs.settings import Settings as ProgramsSettings
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.service import http_app

PROGRAM, COHORT = "bench-program", "bench-10k"
MANAGER = "bench-pm@hub.example"
REVIEWERS = [f"bench-reviewer{n}@hub.example" for n in range(20)]
DOC_CRITERIA = ("technology", "market", "team")


def _cohort_spec(seats: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "code": COHORT,
        "seats": seats,
        "application_opens_at": (now - timedelta(days=10)).isoformat(),
        "application_closes_at": (now + timedelta(days=10)).isoformat(),
        "questions": [{"key": "why_now", "label_ko": "왜 지금?", "label_en": "Why now?"}],
    }


def _insert(table: str, columns: list[str]) -> str:
    marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


async def seed_applications(pool: asyncpg.Pool, n: int) -> None:
    await pool.execute(
        "DELETE FROM review_assignments WHERE application_id IN"
        " (SELECT id FROM applications WHERE cohort_code = $1)",
        COHORT,
    )
    await pool.execute("DELETE FROM application_history")
    await pool.execute("DELETE FROM stage_reviewers WHERE cohort_code = $1", COHORT)
    await pool.execute("DELETE FROM applications WHERE cohort_code = $1", COHORT)
    cohort = CohortPublished.model_validate(
        {
            **_cohort_spec(20),
            "cohort_code": COHORT,
            "program_code": PROGRAM,
            "program_name_ko": "벤치마크",
            "program_name_en": "Benchmark",
            "program_managers": [{"name": "PM", "email": MANAGER, "locale": "ko"}],
        }
    )
    async with pool.acquire() as conn:
        await catalog_replica.replicate_cohort(conn, cohort, datetime.now(UTC))
    start = datetime.now(UTC) - timedelta(days=5)
    ids = [uuid.uuid4() for _ in range(n)]
    rows = [
        (
            ids[i],
            "/bench",
            f"bench-{i}",
            "x",
            PROGRAM,
            COHORT,
            f"Startup {i}",
            valid_brn(100_000_000 + i),
            {"contact": {"email": f"founder{i}@startup.example"}},
            "received",
            start + timedelta(seconds=i),
        )
        for i in range(n)
    ]
    columns = [
        "id",
        "submitted_by",
        "submission_id",
        "content_hash",
        "program_code",
        "cohort_code",
        "startup_name",
        "business_registration_number",
        "submission",
        "status",
        "created_at",
    ]
    async with pool.acquire() as conn:
        # executemany, not COPY: asyncpg's COPY has no binary encoder for jsonb.
        await conn.executemany(_insert("applications", columns), rows)
        await conn.executemany(
            "INSERT INTO stage_reviewers (cohort_code, stage_code, reviewer_id, reviewer_name,"
            " added_by) VALUES ($1, 'document-review', $2, $2, $3)",
            [(COHORT, r, MANAGER) for r in REVIEWERS],
        )
        assignments = [
            (
                ids[i],
                "document-review",
                REVIEWERS[(i + k) % len(REVIEWERS)],
                "R",
                MANAGER,
                dict.fromkeys(DOC_CRITERIA, 50 + i % 50) if i % 2 == 0 else None,
            )
            for i in range(n)
            for k in range(2)
        ]
        await conn.executemany(
            _insert(
                "review_assignments",
                [
                    "application_id",
                    "stage_code",
                    "reviewer_id",
                    "reviewer_name",
                    "assigned_by",
                    "scores",
                ],
            ),
            assignments,
        )


async def seed_enrollments(pool: asyncpg.Pool, n: int) -> None:
    await pool.execute("DELETE FROM enrollments WHERE cohort_code = $1", COHORT)
    exists = await pool.fetchval("SELECT 1 FROM programs WHERE code = $1", PROGRAM)
    if not exists:
        spec = ProgramSpec.model_validate(
            {
                "code": PROGRAM,
                "name_ko": "벤치마크",
                "name_en": "Benchmark",
                "program_managers": [{"name": "PM", "email": MANAGER, "locale": "ko"}],
                "cohorts": [_cohort_spec(20)],
            }
        )
        await catalog.create_program(pool, spec)
    rows = [
        (
            uuid.uuid4(),
            f"bench-app-{i}",
            COHORT,
            PROGRAM,
            f"Startup {i}",
            valid_brn(100_000_000 + i),
            "confirmed" if i < 20 else "waitlisted",
            i + 1,
            i + 1,
        )
        for i in range(n)
    ]
    await pool.copy_records_to_table(
        "enrollments",
        records=rows,
        columns=[
            "id",
            "application_id",
            "cohort_code",
            "program_code",
            "startup_name",
            "business_registration_number",
            "status",
            "rank",
            "arrival",
        ],
    )


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


async def main(n: int, repeat: int) -> None:
    endpoints = LocalStack(state_dir_for_tests(), fixed_ports=False).up()
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.applications, arguments.repeat))
