"""KPI reports on the real Postgres: every report answered, duplicates and strangers refused,
and the hub's headline figures added up."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from aihub_local.testing import consumer_record, handle_in_transaction
from aihub_programs.adapters import outcomes
from aihub_programs.entrypoints.app import definition
from aihub_programs.service_layer.catalog import create_cohort, create_program
from aihub_programs.service_layer.outcomes import cohort_outcomes, hub_outcomes, receive_kpi_report
from aihub_programs.settings import Settings
from aihub_shared.contracts.programs import StartupKpiReported
from aihub_shared.contracts.topics import INTAKE_KPI_REPORTS
from aihub_shared.runtime.retry import RetryPolicy
from services.programs.tests.support import (
    ADMIN_STAFF,
    BRNS,
    PROGRAM,
    accept,
    api_settings,
    cohort_spec,
    event,
    make_cohort,
    program_spec,
    queued,
    withdraw,
)

pytestmark = pytest.mark.integration

PORTAL = "/partners/kpi-portal"


def report(
    report_id: str,
    startup: int,
    quarter: str,
    *,
    cohort: str = "cv-2027-1",
    revenue: int = 100_000_000,
    investment: int = 0,
    headcount: int = 10,
) -> StartupKpiReported:
    return StartupKpiReported(
        report_id=report_id,
        business_registration_number=BRNS[startup],
        cohort_code=cohort,
        quarter=quarter,
        revenue_krw=revenue,
        investment_raised_krw=investment,
        headcount=headcount,
    )


async def send(db: asyncpg.Pool, data: StartupKpiReported, source: str = PORTAL) -> None:
    await handle_in_transaction(
        db, receive_kpi_report, event("startup.kpi_reported", data, source=source), data
    )


async def receipts(db: asyncpg.Pool) -> list[dict[str, Any]]:
    return [{"key": e["key"], **e["data"]} for e in await queued(db) if e["name"] == "kpi.receipt"]


async def enroll(db: asyncpg.Pool, app: str, startup: int, cohort: str = "cv-2027-1") -> None:
    await accept(db, app, rank=startup + 1, cohort=cohort, startup_brn=BRNS[startup])


async def test_reports_are_answered_and_added_up(db: asyncpg.Pool) -> None:
    await make_cohort(db, "cv-2027-1", seats=2)
    await make_cohort(db, "cv-2027-2", seats=2)
    await enroll(db, "a", 0)
    await enroll(db, "b", 1)
    await enroll(db, "c", 2)  # waitlisted: not enrolled
    await enroll(db, "d", 3, cohort="cv-2027-2")

    await send(db, report("r1", 0, "2027-Q1", revenue=300, investment=1_000, headcount=12))
    await send(db, report("r1", 0, "2027-Q1", revenue=300, investment=1_000, headcount=12))
    await send(db, report("r1", 0, "2027-Q1", revenue=999, investment=1_000, headcount=12))
    await send(db, report("r2", 0, "2027-Q2", revenue=500, investment=0, headcount=15))
    await send(db, report("r3", 0, "2027-Q2", revenue=1, headcount=1))  # quarter again
    await send(db, report("r4", 1, "2027-Q1", revenue=200, investment=4_000, headcount=5))
    await send(db, report("r5", 2, "2027-Q1"))  # only waitlisted
    await send(db, report("r6", 4, "2027-Q1"))  # never accepted at all
    await send(db, report("r7", 3, "2027-Q1", cohort="cv-2027-1"))  # enrolled elsewhere
    await send(db, report("r8", 3, "2027-Q1", cohort="cv-2027-2", revenue=50, headcount=3))
    await send(db, report("r9", 1, "2027-Q2", cohort="no-such-cohort"))

    answered = await receipts(db)
    assert [(r["key"], r["outcome"], [x["code"] for x in r["reasons"]]) for r in answered] == [
        ("r1", "accepted", []),
        ("r1", "accepted", []),  # a resend: same answer, stored once
        ("r1", "refused", ["report_id_reused"]),
        ("r2", "accepted", []),
        ("r3", "refused", ["quarter_already_reported"]),
        ("r4", "accepted", []),
        ("r5", "refused", ["not_enrolled"]),
        ("r6", "refused", ["not_enrolled"]),
        ("r7", "refused", ["not_enrolled"]),
        ("r8", "accepted", []),
        ("r9", "refused", ["not_enrolled"]),
    ]
    assert {r["submitted_by"] for r in answered} == {PORTAL}
    # The same report id from another publishing system is another report.
    await send(db, report("r1", 1, "2027-Q3", revenue=10), source="/partners/other")
    assert (await receipts(db))[-1]["outcome"] == "accepted"

    async with db.acquire() as conn:
        hub = await outcomes.totals(conn, None)
        cohort = await outcomes.totals(conn, "cv-2027-1")
    assert hub == {
        "companies_supported": 3,
        "companies_reporting": 3,
        "reports": 5,
        "cumulative_revenue_krw": 300 + 500 + 200 + 50 + 10,
        "cumulative_investment_krw": 1_000 + 4_000,
        "latest_headcount": 15 + 10 + 3,  # startup 1's latest quarter is 2027-Q3
    }
    assert cohort == {
        "cohort_code": "cv-2027-1",
        "companies_supported": 2,
        "companies_reporting": 2,
        "reports": 4,
        "cumulative_revenue_krw": 300 + 500 + 200 + 10,
        "cumulative_investment_krw": 5_000,
        "latest_headcount": 15 + 10,
    }


async def test_the_figures_by_quarter_and_by_program_add_up_to_the_totals(
    db: asyncpg.Pool,
) -> None:
    """What the console's outcome charts draw: each quarter's own figures, and each program's
    headline figures by the same rules as the hub's."""
    await make_cohort(db, "cv-2027-1", seats=2)
    await create_program(db, program_spec("membership"))
    await create_cohort(db, "membership", cohort_spec("ms-2027-1", 2), staff=ADMIN_STAFF)
    await enroll(db, "a", 0)
    await enroll(db, "b", 1)
    await accept(db, "c", rank=3, cohort="ms-2027-1", program="membership", startup_brn=BRNS[2])
    await send(db, report("r1", 0, "2027-Q1", revenue=300, investment=1_000, headcount=12))
    await send(db, report("r2", 0, "2027-Q2", revenue=500, headcount=15))
    await send(db, report("r3", 1, "2027-Q1", revenue=200, investment=4_000, headcount=5))
    await send(db, report("r4", 2, "2027-Q2", cohort="ms-2027-1", revenue=70, headcount=4))

    hub = await hub_outcomes(db)
    assert hub["by_quarter"] == [
        {
            "quarter": "2027-Q1",
            "companies_reporting": 2,
            "revenue_krw": 500,
            "investment_krw": 5_000,
            "headcount": 17,
        },
        {
            "quarter": "2027-Q2",
            "companies_reporting": 2,
            "revenue_krw": 570,
            "investment_krw": 0,
            "headcount": 19,
        },
    ]
    assert [(p["program_code"], p["program_name_ko"]) for p in hub["by_program"]] == [
        (PROGRAM, "사이버밸리 배치 프로그램"),
        ("membership", "사이버밸리 배치 프로그램"),
    ]
    figures = ("companies_supported", "cumulative_revenue_krw", "latest_headcount")
    assert [tuple(p[f] for f in figures) for p in hub["by_program"]] == [
        (2, 1_000, 15 + 5),
        (1, 70, 4),
    ]
    for figure in (*figures, "cumulative_investment_krw"):
        assert sum(p[figure] for p in hub["by_program"]) == hub[figure]

    cohort = await cohort_outcomes(db, "ms-2027-1")
    assert [q["quarter"] for q in cohort["by_quarter"]] == ["2027-Q2"]
    assert [p["program_code"] for p in cohort["by_program"]] == ["membership"]


async def test_a_startup_that_left_still_counts_and_reports_until_it_left(
    db: asyncpg.Pool,
) -> None:
    await make_cohort(db, seats=1)
    await enroll(db, "a", 0)  # the seat
    await enroll(db, "b", 1)  # waitlisted, promoted when "a" leaves
    await enroll(db, "c", 2)  # waitlisted for good
    await withdraw(db, "t")  # a tombstone: withdrawn before its acceptance arrives
    await accept(db, "t", cohort="cv-2027-1", startup_brn=BRNS[3])
    await withdraw(db, "a")

    left = await db.fetchval("SELECT seat_released_at FROM enrollments WHERE application_id='a'")
    assert left is not None  # recorded by the withdrawal
    assert await db.fetchval(
        "SELECT seat_released_at IS NULL FROM enrollments WHERE application_id='b'"
    )
    # Pin the departure to the middle of 2027-Q2 (Seoul) to judge quarters against it.
    await db.execute(
        "UPDATE enrollments SET seat_released_at = '2027-05-10 12:00+09' WHERE application_id = 'a'"
    )
    await send(db, report("a-q1", 0, "2027-Q1", revenue=100, investment=7))
    await send(db, report("a-q2", 0, "2027-Q2", revenue=200))  # it left during Q2: taken
    await send(db, report("a-q3", 0, "2027-Q3", revenue=400))  # began after it left
    await send(db, report("b-q3", 1, "2027-Q3", revenue=1_000))  # promoted, holds the seat
    await send(db, report("c-q1", 2, "2027-Q1"))  # only ever waitlisted
    await send(db, report("t-q1", 3, "2027-Q1"))  # a tombstone never held a seat

    answered = {r["key"]: r for r in await receipts(db)}
    assert {key: r["outcome"] for key, r in answered.items()} == {
        "a-q1": "accepted",
        "a-q2": "accepted",
        "a-q3": "refused",
        "b-q3": "accepted",
        "c-q1": "refused",
        "t-q1": "refused",
    }
    (why,) = answered["a-q3"]["reasons"]
    assert why["code"] == "left_cohort"
    assert "2027-05-10 12:00 KST" in why["message"]
    assert "before 2027-Q3 began" in why["message"]
    assert [r["code"] for r in answered["c-q1"]["reasons"]] == ["not_enrolled"]
    assert [r["code"] for r in answered["t-q1"]["reasons"]] == ["not_enrolled"]

    async with db.acquire() as conn:
        cohort = await outcomes.totals(conn, "cv-2027-1")
        hub = await outcomes.totals(conn, None)
    # "a" left but was supported: it counts, with the quarters it reported.
    assert cohort == {
        "cohort_code": "cv-2027-1",
        "companies_supported": 2,
        "companies_reporting": 2,
        "reports": 3,
        "cumulative_revenue_krw": 100 + 200 + 1_000,
        "cumulative_investment_krw": 7,
        "latest_headcount": 10 + 10,
    }
    assert hub["companies_supported"] == 2


async def test_hostile_reports_end_in_a_refused_receipt_or_a_dead_letter_while_valid_ones_go_on(
    db: asyncpg.Pool, programs_dsn: str
) -> None:
    """Through the service's own KPI consumer (as `definition()` assembles it): every record
    gets exactly one answer: a receipt, or the dead-letter topic with the reason."""
    await make_cohort(db, seats=1)
    await enroll(db, "a", 0)
    settings = Settings.model_validate({**api_settings(), "PROGRAMS_DATABASE_URL": programs_dsn})
    retry = RetryPolicy(retry_later_max_seconds=5, initial_backoff=0.01, max_backoff=0.05)
    (consumer,) = [
        spec.build(db, retry) for spec in definition(settings).consumers if "kpi" in spec.name
    ]
    valid = report("ok-1", 0, "2027-Q1").model_dump()

    def kpi_record(data: dict[str, Any]) -> ConsumerRecord:
        envelope = event("startup.kpi_reported", report("x", 0, "2027-Q1"), source=PORTAL)
        raw = {**envelope.model_dump(mode="json"), "data": data}
        return consumer_record(INTAKE_KPI_REPORTS, json.dumps(raw).encode(), key=b"r")

    # Nobody to answer: not JSON, no value, no readable report id.
    unattributable = [
        consumer_record(INTAKE_KPI_REPORTS, b"\xff\xfe not json", key=b"r"),
        consumer_record(INTAKE_KPI_REPORTS, None, key=b"r"),
        kpi_record({**valid, "report_id": "bad id"}),
        kpi_record({**valid, "report_id": "x\x00"}),
    ]
    # The publisher and the report id can be read: a refused receipt says what is wrong, where.
    attributable = {
        "revenue_krw": (kpi_record({**valid, "revenue_krw": -1}), "greater_than_equal"),
        "investment_raised_krw": (
            kpi_record({**valid, "investment_raised_krw": 10**30}),
            "less_than_equal",
        ),
        "headcount": (kpi_record({**valid, "headcount": "many"}), "int_type"),
        "quarter": (kpi_record({**valid, "quarter": "2027-Q5"}), "string_pattern_mismatch"),
        "business_registration_number": (
            kpi_record({**valid, "business_registration_number": "1234567890"}),
            "invalid_business_registration_number",
        ),
        "cohort_code": (
            kpi_record({**valid, "cohort_code": "' OR 1=1 --"}),
            "string_pattern_mismatch",
        ),
    }
    missing = kpi_record({key: value for key, value in valid.items() if key != "headcount"})
    answers = [await consumer.handle_record(r) for r in unattributable]
    assert answers == ["dead-lettered"] * len(unattributable)
    refused = [await consumer.handle_record(r) for r, _ in attributable.values()]
    assert refused == ["refused"] * len(attributable)
    assert await consumer.handle_record(missing) == "refused"
    # Valid traffic goes on: the enrolled startup's report is taken, a stranger's refused.
    assert await consumer.handle_record(kpi_record(valid)) == "done"
    stranger = report("ok-2", 5, "2027-Q1").model_dump()
    assert await consumer.handle_record(kpi_record(stranger)) == "done"
    dead = await db.fetch(
        "SELECT headers FROM outbox WHERE topic = $1 ORDER BY id", f"{INTAKE_KPI_REPORTS}.dlq"
    )
    assert len(dead) == len(unattributable)
    assert all(any(name == "dlq_reason" for name, _ in row["headers"]) for row in dead)
    answered = await receipts(db)
    assert [(r["key"], r["outcome"]) for r in answered] == [
        # Nothing of a refused report is stored: the same id, sent right, is judged afresh.
        *[("ok-1", "refused")] * (len(attributable) + 1),
        ("ok-1", "accepted"),
        ("ok-2", "refused"),
    ]
    for (field, (_, code)), receipt in zip(attributable.items(), answered, strict=False):
        assert receipt["submitted_by"] == PORTAL
        assert [(r["path"], r["code"]) for r in receipt["reasons"]] == [(f"$.data.{field}", code)]
        # No locale in a KPI report: Korean and English.
        assert " / " in receipt["reasons"][0]["message"]
    (reason,) = answered[len(attributable)]["reasons"]
    assert (reason["path"], reason["code"]) == ("$.data.headcount", "missing")
    async with db.acquire() as conn:
        assert (await outcomes.totals(conn, None))["reports"] == 1
