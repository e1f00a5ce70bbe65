"""One cohort of N applications and N enrollments for the benchmarks of the manager pages,
written straight into an applications and a programs schema (a scratch one, or a dev stack's
own through the services' login roles): no events, no mails. What it writes, it first deletes
(the cohort `bench-10k` of the program `bench-program` only), so a rerun starts afresh.

N applications in review, N/2 of them (or all) scored by two of 20 reviewers in the document
review;
N enrollments: 20 seats confirmed, the rest waitlisted in rank order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from aihub_applications.adapters import catalog_replica
from aihub_local.testing import valid_brn
from aihub_programs.domain.catalog import ProgramSpec
from aihub_programs.service_layer import catalog
from aihub_shared.contracts.programs import CohortPublished

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


async def seed_applications(pool: asyncpg.Pool, n: int, *, scored_every: int = 2) -> None:
    """N applications in review, every `scored_every`-th scored by both its reviewers."""
    await pool.execute(
        "DELETE FROM review_assignments WHERE application_id IN"
        " (SELECT id FROM applications WHERE cohort_code = $1)",
        COHORT,
    )
    await pool.execute(
        "DELETE FROM application_history WHERE application_id IN"
        " (SELECT id FROM applications WHERE cohort_code = $1)",
        COHORT,
    )
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
                dict.fromkeys(DOC_CRITERIA, 50 + i % 50) if i % scored_every == 0 else None,
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
