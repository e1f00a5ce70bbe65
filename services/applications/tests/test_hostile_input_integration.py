"""Hostile or careless input on the staff API is a 422 naming the field, never a 500: NUL bytes
(which Postgres text cannot hold), lone surrogates (valid JSON escapes no UTF-8 can encode, not
even in the 422 that echoes them), offsets beyond bigint, reasons made of white space only.
The same submissions on the Kafka door get a refused receipt naming each field, never a dead
letter alone."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from aihub_applications.entrypoints.app import definition
from aihub_local.testing import consumer_record
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.contracts.registry import contract
from aihub_shared.contracts.topics import INTAKE_APPLICATIONS
from aihub_shared.runtime.retry import RetryPolicy
from services.applications.tests.support import (
    ADMIN,
    OPS,
    CohortFactory,
    bearer,
    locations,
    outbox_events_keyed,
    reviewer_account,
    service_settings,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

REVIEWER = "reviewer@hub.example"
DOC = "document-review"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cohort_code", "cv\x00x"),
        ("program_code", "prog\x00"),
        ("stage_code", "\x00"),
        ("q", "start\x00up"),
        ("offset", str(2**63)),
        ("offset", str(10**30)),
    ],
)
async def test_hostile_list_filters_are_422(api: httpx.AsyncClient, name: str, value: str) -> None:
    response = await api.get("/applications", params={name: value}, headers=bearer(ADMIN))
    assert locations(response) == [["query", name]]


async def test_a_score_comment_with_nul_is_422(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    assigned = await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": [{"id": REVIEWER, "name": "R"}], "per_application": 2},
        headers=bearer(ADMIN),
    )
    assert assigned.status_code == 200, assigned.text
    path = f"/applications/{app}/stages/{DOC}/scores"
    scores = {"technology": 70, "market": 70, "team": 70}
    response = await api.put(
        path,
        json={"scores": scores, "comment": "good\x00team"},
        headers=bearer(reviewer_account(REVIEWER)),
    )
    assert locations(response) == [["body", "comment"]]
    fine = await api.put(
        path,
        json={"scores": scores, "comment": "<b>Strong</b>\r\nteam"},
        headers=bearer(reviewer_account(REVIEWER)),
    )
    assert fine.status_code == 200, fine.text


@pytest.mark.parametrize("reason", ["", "   ", "\n\t ", "\u3000"])
async def test_a_reason_of_white_space_only_is_no_reason(
    api: httpx.AsyncClient, make_cohort: CohortFactory, reason: str
) -> None:
    cohort = await make_cohort()
    app = (await submit(api, submission(cohort, 1)))["application_id"]
    admin = bearer(ADMIN)
    decided = await api.post(
        f"/applications/{app}/decision",
        json={"outcome": "rejected", "reason": reason},
        headers=admin,
    )
    assert locations(decided) == [["body", "reason"]]
    withdrawn = await api.post(
        f"/applications/{app}/withdrawal", json={"reason": reason}, headers=admin
    )
    assert locations(withdrawn) == [["body", "reason"]]
    selected = await api.post(
        f"/cohorts/{cohort.cohort_code}/selection", json={"reason": reason}, headers=admin
    )
    assert locations(selected) == [["body", "reason"]]
    detail = (await api.get(f"/applications/{app}", headers=admin)).json()
    assert detail["status"] == "received"


def as_json_with_escapes(body: dict[str, Any]) -> dict[str, Any]:
    """The body as a publisher may send it: a lone surrogate as its JSON escape."""
    return {"content": json.dumps(body), "headers": {"Content-Type": "application/json"}}


async def test_a_lone_surrogate_anywhere_is_422_naming_the_field(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    hostile = submission(cohort, 1)
    hostile["startup"]["name"] = "Lab \ud800"
    hostile["answers"] = {"why_now": "\udfff"}
    sent = as_json_with_escapes(hostile)
    refused = await api.post(
        "/intake/applications", content=sent["content"], headers={**sent["headers"], **bearer(OPS)}
    )
    assert sorted(locations(refused)) == [
        ["body", "answers", "why_now"],
        ["body", "startup", "name"],
    ]
    assert "\\ud800" in refused.text  # echoed as its escape

    app = (await submit(api, submission(cohort, 2)))["application_id"]
    await api.post(
        f"/cohorts/{cohort.cohort_code}/stages/{DOC}/assignments",
        json={"reviewers": [{"id": REVIEWER, "name": "R"}], "per_application": 2},
        headers=bearer(ADMIN),
    )
    scores = {"scores": {"technology": 1, "market": 1, "team": 1}, "comment": "\ud83d"}
    sent = as_json_with_escapes(scores)
    response = await api.put(
        f"/applications/{app}/stages/{DOC}/scores",
        content=sent["content"],
        headers={**sent["headers"], **bearer(reviewer_account(REVIEWER))},
    )
    assert locations(response) == [["body", "comment"]]


def hostile_submissions(cohort: CohortPublished) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Name → (submission, JSON paths of the reasons its receipt must give)."""
    cases: dict[str, tuple[dict[str, Any], set[str]]] = {}

    def case(label: str, paths: set[str], **startup: object) -> None:
        data = submission(cohort, len(cases) + 1, submission_id=f"hostile-{label}-{uuid4()}")
        data["startup"].update(startup)
        cases[label] = (data, paths)

    case("surrogates", {"$.data.startup.name"}, name="Lab \ud800")
    case("nul", {"$.data.startup.description"}, description="good\x00team")
    case("crlf", {"$.data.startup.name"}, name="Labs\r\nBcc: all@example.com")
    case("no-such-day", {"$.data.startup.founded_on"}, founded_on="2022-02-30")
    case("too-many", {"$.data.startup.employees"}, employees=100_001)
    case("blank-name", {"$.data.startup.name"}, name="\u3000")
    return cases


async def test_hostile_submissions_on_kafka_get_a_refused_receipt_per_field(
    applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    """Through the service's own intake consumer, as `definition()` assembles it."""
    cohort = await make_cohort()
    retry = RetryPolicy(initial_backoff=0.01, max_backoff=0.05)
    (consumer,) = [
        spec.build(applications_pool, retry)
        for spec in definition(service_settings()).consumers
        if spec.name == "applications.intake"
    ]
    cases = hostile_submissions(cohort)
    for data, _ in cases.values():
        envelope = {
            "specversion": "1.0",
            "id": str(uuid4()),
            "source": "/test/portal",
            "type": contract("application.submitted").type,
            "time": "2027-01-20T01:30:00Z",
            "subject": data["submission_id"],
            "data": data,
        }
        raw = json.dumps(envelope).encode()  # lone surrogates travel as their JSON escapes
        record = consumer_record(INTAKE_APPLICATIONS, raw, key=data["submission_id"].encode())
        assert await consumer.handle_record(record) == "refused"
    for name, (data, paths) in cases.items():
        (receipt,) = await outbox_events_keyed(applications_pool, data["submission_id"])
        assert receipt["outcome"] == "refused", name
        assert receipt["application_id"] is None, name
        assert {r["path"] for r in receipt["reasons"]} == paths, name
        # The applicant reads English (the submission's locale); no Korean half.
        assert all(" / " not in r["message"] for r in receipt["reasons"]), name
    dead = await applications_pool.fetchval(
        "SELECT count(*) FROM outbox WHERE topic = 'intake.applications.dlq'"
        " AND convert_from(key, 'UTF8') LIKE 'hostile-%'"
    )
    assert dead == 0


async def test_a_wrong_check_digit_is_an_eligibility_reason_on_both_doors(
    api: httpx.AsyncClient, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    data = submission(cohort, 1)
    data["startup"]["business_registration_number"] = "1234567890"
    receipt = await submit(api, data)
    assert receipt["outcome"] == "refused"
    assert [r["code"] for r in receipt["reasons"]] == ["invalid_business_registration_number"]
    detail = await api.get(f"/applications/{receipt['application_id']}", headers=bearer(ADMIN))
    assert detail.json()["status"] == "ineligible"
    # Not ten digits is still a broken contract: 422 on HTTP.
    data = submission(cohort, 2)
    data["startup"]["business_registration_number"] = "12345"
    refused = await api.post("/intake/applications", json=data, headers=bearer(OPS))
    assert locations(refused) == [["body", "startup", "business_registration_number"]]
