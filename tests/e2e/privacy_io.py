"""Personal-data requests through the real platform, as the end-to-end tests make them: an
erasure request as a publishing system sends it, an export with the `aihub-privacy` command,
and searches of every service's schema and log for a person's data."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from typer.testing import CliRunner

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import StaffAccount, publish, staff_token
from aihub_shared import privacy_cli
from aihub_shared.contracts.registry import contract
from tests.e2e.kafka_io import as_bytes
from tests.e2e.support import unique

PORTAL = "/test/portal"
#: What a full e-mail address in a log line looks like (a masked one is `k***@domain`).
ADDRESS = re.compile(r"[^\s@\"'<>()]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
SCHEMAS = ("applications", "programs", "notifications")


def erasure_request(request_id: str, **person: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": PORTAL,
        "type": contract("person.erasure_requested").type,
        "time": datetime.now(UTC).isoformat(),
        "subject": request_id,
        "datacontenttype": "application/json",
        "data": {"request_id": request_id, **person},
    }


async def request_erasure(local_stack: StackEndpoints, event: dict[str, Any]) -> None:
    key = event["data"]["request_id"].encode()
    await publish(local_stack.kafka, "intake.erasure-requests", [(key, as_bytes(event), [])])


async def places_holding(local_stack: StackEndpoints, secrets: list[str]) -> list[str]:
    """Every `schema.table.column` (text, json or an outbox's bytes) that holds any secret."""
    patterns = [f"%{s.lower()}%" for s in secrets]
    conn = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:
        columns = await conn.fetch(
            "SELECT table_schema, table_name, column_name, data_type"
            " FROM information_schema.columns JOIN information_schema.tables"
            " USING (table_schema, table_name)"
            " WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'"
            " AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')",
            list(SCHEMAS),
        )
        found = []
        for c in columns:
            column = f'"{c["table_schema"]}"."{c["table_name"]}"."{c["column_name"]}"'
            name = f'"{c["column_name"]}"'
            # Bytes as text whatever they hold (a dead letter keeps a publisher's raw bytes).
            as_text = f"encode({name}, 'escape')" if c["data_type"] == "bytea" else f"{name}::text"
            table = f'"{c["table_schema"]}"."{c["table_name"]}"'
            hits = await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE lower({as_text}) LIKE ANY($1::text[])",  # noqa: S608
                patterns,
            )
            if hits:
                found.append(f"{column}: {hits}")
        assert columns, "the schemas have columns to search"
        return found
    finally:
        await conn.close()


def service_logs(local_stack: StackEndpoints) -> list[Path]:
    """The services' log files of this stack (every run and restart appends to them)."""
    return sorted((local_stack.state_dir / "logs" / "services").glob("*.log"))


async def export_with_the_command(
    platform: PlatformServices, *, email: str | None = None, application_id: str | None = None
) -> dict[str, Any]:
    """`aihub-privacy export`, as an admin runs it (its token and the URLs from the environment)."""
    args = ["export", *(["--email", email] if email else [])]
    args += ["--application-id", application_id] if application_id else []
    env = {
        "AIHUB_ADMIN_TOKEN": StaffAccount("admin@hub.example", ("admin",)).token(),
        **{f"{name.upper()}_URL": platform.url(name) for name in SCHEMAS},
    }
    result = await asyncio.to_thread(CliRunner().invoke, privacy_cli.app, args, env=env)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


async def review_with_a_comment(
    applications: httpx.AsyncClient, cohort_code: str, application_id: str, comment: str
) -> None:
    cohorts = (await applications.get("/cohorts")).json()
    (cohort,) = [c for c in cohorts if c["cohort_code"] == cohort_code]
    stage = cohort["review_stages"][0]
    reviewers = [f"{unique('reviewer')}@hub.example" for _ in range(stage["min_reviewers"])]
    tokens = [staff_token(r) for r in reviewers]  # accounts first: no invitation races us
    assigned = await applications.post(
        f"/cohorts/{cohort_code}/stages/{stage['code']}/assignments",
        json={"reviewers": [{"id": r, "name": "Reviewer"} for r in reviewers]},
    )
    assert assigned.status_code == 200, assigned.text
    token = tokens[0]
    scored = await applications.put(
        f"/applications/{application_id}/stages/{stage['code']}/scores",
        json={"scores": {c["code"]: 90 for c in stage["criteria"]}, "comment": comment},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert scored.status_code == 200, scored.text
