"""Erasing a person across the three services, by event, with one receipt (issue 15).

A founder applies, is reviewed (with a comment naming them), selected, enrolled, mailed, and
their startup reports its figures. Then a publishing system asks for their erasure; notifications
is killed (-9) right after committing its part. Afterwards no text column of any service's schema
(nor any outbox row) holds their name, address or registration number, the hub's outcomes are
unchanged, the receipt came once, and asking again changes nothing. No service ever logged their
data, and no log line of any service holds a full e-mail address.
"""

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
import pytest
from typer.testing import CliRunner

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import (
    StaffAccount,
    eventually,
    mails_to,
    publish,
    read_until,
    staff_token,
)
from aihub_shared import privacy_cli
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime.failpoints import ENV as FAILPOINT
from tests.e2e.kafka_io import as_bytes, receipt_for, submit, submitted_event
from tests.e2e.programs_io import kpi_report_event
from tests.e2e.review_flow import select_for_cohort
from tests.e2e.support import business_number, unique

pytestmark = pytest.mark.integration

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


async def test_an_erased_founder_is_gone_from_every_service_and_the_receipt_comes_once(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    applications, programs = staff["applications"], staff["programs"]
    founder = f"Erasa {uuid.uuid4().hex[:8]}"
    email = f"{unique('erased')}@startup.example"
    startup = f"Forgotten Labs {uuid.uuid4().hex[:6]}"
    brn = business_number(uuid.uuid4().int % 10**6)
    submission_id = unique("erase-sub")
    event = submitted_event(
        submission_id,
        program_code=open_cohort["program"],
        cohort_code=open_cohort["cohort"],
        contact_email=email,
        startup_name=startup,
        brn=brn,
    )
    event["data"]["contact"]["name"] = founder
    await submit(local_stack.kafka, event)
    application_id = (await receipt_for(local_stack.kafka, submission_id))["application_id"]

    await review_with_a_comment(
        applications, open_cohort["cohort"], application_id, f"{founder} pitched well"
    )
    await select_for_cohort(applications, [application_id], reason=f"{startup}: best fit")

    async def enrolled() -> bool:
        detail = (await applications.get(f"/applications/{application_id}")).json()
        return bool(detail["status"] == "enrolled")

    await eventually(enrolled, within=90, what="the founder's enrollment")
    report_id = unique("kpi")
    report = {
        "report_id": report_id,
        "business_registration_number": brn,
        "cohort_code": open_cohort["cohort"],
        "quarter": "2027-Q1",
        "revenue_krw": 123_000_000,
        "investment_raised_krw": 50_000_000,
        "headcount": 7,
    }
    await publish(
        local_stack.kafka,
        "intake.kpi-reports",
        [(report_id.encode(), kpi_report_event(report, source=PORTAL), [])],
    )

    async def mailed_and_reported() -> bool:
        totals = (await programs.get(f"/cohorts/{open_cohort['cohort']}/outcomes")).json()
        return bool(mails_to(local_stack.mail_dir, email)) and totals["reports"] == 1

    await eventually(mailed_and_reported, within=90, what="a mail to the founder and the report")
    hub_before = (await programs.get("/outcomes")).json()
    cohort_before = (await programs.get(f"/cohorts/{open_cohort['cohort']}/outcomes")).json()
    secrets = [founder, email, startup, brn]
    assert await places_holding(local_stack, secrets), "the flow stored the founder's data"

    # An access request first: `aihub-privacy export` joins what each service holds.
    held = await export_with_the_command(platform, email=email)
    parts = held["services"]
    assert parts["applications"]["application_ids"] == [application_id]
    (stored,) = parts["applications"]["records"]["applications"]
    assert stored["submission"]["contact"] == {"name": founder, "email": email, "locale": "en"}
    assert any(r["comment"] for r in parts["applications"]["records"]["review_assignments"])
    (enrollment,) = parts["programs"]["records"]["enrollments"]
    assert enrollment["business_registration_number"] == brn
    assert [r["revenue_krw"] for r in parts["programs"]["records"]["kpi_reports"]] == [123_000_000]
    assert parts["notifications"]["records"]["applicants"][0]["contact_email"] == email
    assert {d["recipient"] for d in parts["notifications"]["records"]["deliveries"]} == {email}

    # notifications dies (-9) right after committing its erasure, before its offset commit.
    platform.process("notifications").terminate()
    platform.start("notifications", extra_env={FAILPOINT: "after-commit:notifications.erasures"})
    request_id = unique("erase")
    await request_erasure(local_stack, erasure_request(request_id, email=email))

    async def crashed() -> bool:
        return not platform.process("notifications").is_running()

    await eventually(crashed, within=90, what="notifications to hit its failpoint")
    assert platform.process("notifications").returncode == -9
    platform.start("notifications")

    (receipt,) = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: r.key == request_id.encode(),
        count=1,
        within=120,
    )
    body = json.loads(receipt.value)["data"]
    assert body["outcome"] == "erased"
    assert body["submitted_by"] == PORTAL
    assert sorted(body["services"]) == sorted(SCHEMAS)
    assert body["applications"] == 1

    assert await places_holding(local_stack, secrets) == []
    after = json.dumps(await export_with_the_command(platform, application_id=application_id))
    assert not [s for s in secrets if s in after]
    assert application_id in after  # what stays (the legal holds) is still shown
    assert (await programs.get("/outcomes")).json() == hub_before
    assert (await programs.get(f"/cohorts/{open_cohort['cohort']}/outcomes")).json() == (
        cohort_before
    )

    # Asked again (same request, new event): nothing changes, no second receipt. Asked anew by
    # application id: a harmless second erasure with its own receipt.
    repeat = erasure_request(request_id, email=email)
    await request_erasure(local_stack, repeat)
    again = unique("erase-again")
    await request_erasure(local_stack, erasure_request(again, application_ids=[application_id]))
    await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: r.key == again.encode(),
        count=1,
        within=120,
    )
    conn = await asyncpg.connect(local_stack.postgres_admin_dsn)
    try:

        async def repeat_handled() -> bool:
            handled = await conn.fetchval(
                "SELECT true FROM applications.inbox"
                " WHERE consumer = 'applications.erasure-requests' AND message_key = $1",
                f"{PORTAL}|{repeat['id']}",
            )
            return bool(handled)

        await eventually(repeat_handled, what="the repeated request to be handled")
        receipts = await conn.fetchval(
            "SELECT count(*) FROM applications.outbox WHERE key = $1 AND event_type LIKE $2",
            request_id.encode(),
            "%erasure.receipt%",
        )
    finally:
        await conn.close()
    assert receipts == 1
    status = await applications.get(
        f"/privacy/erasures/{request_id}", params={"requested_by": PORTAL}
    )
    assert status.status_code == 200, status.text
    assert status.json()["confirmed_by"] == sorted(SCHEMAS)
    assert status.json()["completed_at"] is not None
    assert await places_holding(local_stack, secrets) == []

    # Nothing of theirs was ever logged, by any service, and no full address of anyone is.
    logs = {p.name: p.read_text(errors="replace") for p in service_logs(local_stack)}
    assert set(logs) >= {f"{service}.log" for service in SCHEMAS}
    assert application_id in logs["applications.log"]  # the flow was logged
    assert [(name, s) for name, text in logs.items() for s in secrets if s in text] == []
    unmasked = {a for text in logs.values() for a in ADDRESS.findall(text) if "***@" not in a}
    assert unmasked == set()
