"""Migrations on the real Postgres: history written before 0004 names its reviewers in columns
once migrated, so what a reviewer sees of older applications is decided as for new ones."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from importlib import resources

import asyncpg
import pytest

from aihub_local.stack import StackEndpoints

pytestmark = pytest.mark.integration

MIGRATIONS = resources.files("aihub_applications").joinpath("migrations")


def migration(name: str) -> str:
    return MIGRATIONS.joinpath(name).read_text(encoding="utf-8")


@pytest.fixture
async def before_0004(local_stack: StackEndpoints) -> AsyncIterator[asyncpg.Connection]:
    """A throwaway schema migrated up to 0003, dropped afterwards."""
    schema = f"applications_backfill_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}; SET search_path = {schema}")
        for name in ("0001_applications.sql", "0002_review.sql", "0003_assignment_due.sql"):
            await conn.execute(migration(name))
        yield conn
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()


async def test_0004_backfills_the_reviewers_of_assignments_from_their_text(
    before_0004: asyncpg.Connection,
) -> None:
    conn = before_0004
    app = uuid.uuid4()
    await conn.execute(
        "INSERT INTO applications (id, submitted_by, submission_id, content_hash, program_code,"
        " cohort_code, startup_name, business_registration_number, submission, status)"
        " VALUES ($1, 'portal', 'sub-1', 'h', 'p', 'c', 'S', '1234567890', '{}', 'received')",
        app,
    )
    history = [
        ("status", "intake:portal", "submission received"),
        ("assigned", "pm@hub.example", "reviewer ann@hub.example assigned"),
        (
            "assigned",
            "joann@hub.example",
            "reviewer zed@hub.example assigned in place of joann@hub.example",
        ),
        ("conflict", "joann@hub.example", "conflict of interest: reviewer x assigned"),
        ("scored", "ann@hub.example", "scores recorded"),
    ]
    await conn.executemany(
        "INSERT INTO application_history (application_id, to_status, action, actor, reason)"
        " VALUES ($1, 'received', $2, $3, $4)",
        [(app, action, actor, reason) for action, actor, reason in history],
    )

    await conn.execute(migration("0004_history_reviewers.sql"))

    rows = await conn.fetch(
        "SELECT action, reason, reviewer_id, replaced_reviewer_id FROM application_history"
        " ORDER BY id"
    )
    assert [(r["action"], r["reviewer_id"], r["replaced_reviewer_id"]) for r in rows] == [
        ("status", None, None),
        ("assigned", "ann@hub.example", None),
        ("assigned", "zed@hub.example", "joann@hub.example"),
        ("conflict", None, None),  # only assignments name a reviewer
        ("scored", None, None),
    ]
    assert [r["reason"] for r in rows] == [reason for _, _, reason in history]  # text unchanged
