"""Bad input on the public door: whatever can be attributed to a publisher and a submission id
gets a refused receipt naming each broken field; only what cannot (not JSON, no readable id) goes
to the dead-letter topic alone. Valid traffic behind it is still processed. Real broker, real
service process."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import header, publish, read_until
from aihub_shared.runtime.kafka_client import KafkaConnection
from tests.e2e.kafka_io import as_bytes, receipt_for, submit, submitted_event
from tests.e2e.support import unique

pytestmark = pytest.mark.integration


def reasons_of(receipt: dict[str, Any]) -> dict[str, str]:
    """JSON path → code of each reason of a refused receipt."""
    assert receipt["outcome"] == "refused", receipt
    return {r["path"]: r["code"] for r in receipt["reasons"]}


async def receipts_by_key(
    kafka: KafkaConnection, keys: set[str], *, count: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The receipts of these submissions, once `count` have come (one per key by default; a
    key answered twice counts twice, so its caller says how many in all)."""
    found = await read_until(
        kafka,
        "intake.receipts",
        lambda r: (r.key or b"").decode() in keys,
        count=count or len(keys),
    )
    by_key: dict[str, list[dict[str, Any]]] = {}
    for record in found:
        by_key.setdefault(record.key.decode(), []).append(json.loads(record.value)["data"])
    return by_key


async def test_bad_messages_get_refused_receipts_and_the_next_valid_one_is_processed(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    tag = unique("bad")

    def valid(submission_id: str, **changes: object) -> dict[str, Any]:
        event = submitted_event(
            submission_id,
            program_code=open_cohort["program"],
            cohort_code=open_cohort["cohort"],
            contact_email=f"{submission_id}@startup.example",
            brn="1018143368" if "after" in submission_id else "2208162517",
        )
        event.update(changes)
        return event

    unknown_type = valid(f"{tag}-unknown", type="kr.seoul.aihub.application.submitted.v9")
    broken = valid(f"{tag}-broken")
    broken["data"] = {**broken["data"], "consent_personal_info": "maybe", "startup": {}}
    del broken["time"]
    injected = valid(f"{tag}-crlf")
    injected["data"]["contact"]["name"] = "Mallory\r\nBcc: everyone@example.com"
    after = valid(f"{tag}-after")

    await publish(
        local_stack.kafka,
        "intake.applications",
        [
            (f"{tag}-json".encode(), b"\x00\xffthis is not json{", []),
            (f"{tag}-unknown".encode(), as_bytes(unknown_type), []),
            (f"{tag}-broken".encode(), as_bytes(broken), []),
            (f"{tag}-crlf".encode(), as_bytes(injected), [("x-trace", b"\xff\xfe\x00")]),
            (f"{tag}-after".encode(), as_bytes(after), [("x-trace", b"\xff\xfe\x00")]),
        ],
    )

    receipts = await receipts_by_key(
        local_stack.kafka, {f"{tag}-{n}" for n in ("unknown", "broken", "crlf", "after")}
    )
    (unknown,) = receipts[f"{tag}-unknown"]
    assert reasons_of(unknown) == {"$.type": "unknown_event_type"}
    (broken_receipt,) = receipts[f"{tag}-broken"]
    assert broken_receipt["submitted_by"] == "/test/portal"
    assert reasons_of(broken_receipt) == {
        "$.time": "missing",
        "$.data.consent_personal_info": "bool_type",
        **{
            f"$.data.startup.{field}": "missing"
            for field in ("name", "business_registration_number", "founded_on", "employees")
        },
        "$.data.startup.ai_field": "missing",
    }
    (crlf,) = receipts[f"{tag}-crlf"]
    assert reasons_of(crlf) == {"$.data.contact.name": "control_character"}
    assert crlf["reasons"][0]["message"] == "must not contain control characters such as CR or LF"

    # Only the message nobody can be told about is a dead letter, with its original bytes.
    dead = await read_until(
        local_stack.kafka,
        "intake.applications.dlq",
        lambda r: (r.key or b"").startswith(tag.encode()),
        count=1,
    )
    assert [(r.key.decode(), header(r, "dlq_reason")) for r in dead] == [
        (f"{tag}-json", "not JSON")
    ]
    assert dead[0].value == b"\x00\xffthis is not json{"
    assert header(dead[0], "dlq_topic") == "intake.applications"
    assert header(dead[0], "dlq_consumer") == "applications.intake"

    # The valid message published after them still went through (a hostile header is harmless).
    (receipt,) = receipts[f"{tag}-after"]
    assert receipt["outcome"] == "accepted", receipt
    application = await staff["applications"].get(f"/applications/{receipt['application_id']}")
    assert application.json()["status"] == "received"


async def test_an_unknown_cohort_is_refused_with_a_receipt_and_nothing_stored(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    submission_id = unique("nowhere")
    event = submitted_event(
        submission_id,
        program_code=open_cohort["program"],
        cohort_code="no-such-cohort-2099",
        contact_email=f"{submission_id}@startup.example",
        locale="ko",
    )
    await submit(local_stack.kafka, event)
    data = await receipt_for(local_stack.kafka, submission_id)
    assert data["outcome"] == "refused"
    assert data["application_id"] is None
    assert [r["code"] for r in data["reasons"]] == ["unknown_cohort"]
    assert "no-such-cohort-2099" in data["reasons"][0]["message"]
    stored = await staff["applications"].get(
        "/applications", params={"cohort_code": "no-such-cohort-2099"}
    )
    assert stored.json() == []


async def test_hostile_and_repeated_submissions_each_end_in_a_receipt_or_a_dead_letter(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    tag = unique("hostile")

    def event(name: str, brn: str = "2208162517", **data: object) -> dict[str, Any]:
        submission_id = f"{tag}-{name}"
        document = submitted_event(
            submission_id,
            program_code=open_cohort["program"],
            cohort_code=open_cohort["cohort"],
            contact_email=f"{name}@startup.example",
            brn=brn,
            locale="ko",
        )
        document["data"].update(data)
        return document

    html_name = "<script>alert('x')</script> & <b>Labs</b>"
    first = event("first")
    first["data"]["startup"]["name"] = html_name
    conflicting = event("first")  # same submission id, different content
    conflicting["data"]["startup"]["name"] = "Another name"
    duplicate_brn = event("dup")  # another submission of the same business to the same cohort
    oversized = event("big")
    oversized["data"]["startup"]["description"] = "x" * 6000
    wrong_types = event("types", brn="1018143368", answers=["not", "a", "map"])
    wrong_types["data"]["startup"]["employees"] = "ten"
    no_such_day = event("day", brn="1018143368")
    no_such_day["data"]["startup"]["founded_on"] = "2022-02-30"
    too_many = event("many", brn="1018143368")
    too_many["data"]["startup"]["employees"] = 100_001
    crlf_name = event("crlfname", brn="1018143368")
    crlf_name["data"]["startup"]["name"] = "Labs\r\nBcc: all@example.com"
    long_id = event("long")
    long_id["data"]["submission_id"] = "x" * 300
    bad_brn = event("brn", brn="1234567890")
    valid = event("valid", brn="1018143368")
    hostile = [first, conflicting, duplicate_brn, oversized, wrong_types, no_such_day, too_many]
    hostile += [crlf_name, long_id, bad_brn, valid]

    await publish(
        local_stack.kafka,
        "intake.applications",
        [(document["subject"].encode(), as_bytes(document), []) for document in hostile],
    )

    named = ("first", "dup", "big", "types", "day", "many", "crlfname", "brn", "valid")
    # "first" is answered twice (accepted, then its conflicting resubmission refused).
    keys = {f"{tag}-{n}" for n in named}
    by_key = await receipts_by_key(local_stack.kafka, keys, count=len(keys) + 1)
    accepted, refused = by_key[f"{tag}-first"]
    assert accepted["outcome"] == "accepted"
    assert refused["outcome"] == "refused"
    assert [r["code"] for r in refused["reasons"]] == ["conflicting_resubmission"]
    (dup,) = by_key[f"{tag}-dup"]
    assert [r["code"] for r in dup["reasons"]] == ["duplicate_business_registration"]
    assert str(accepted["application_id"]) in dup["reasons"][0]["message"]
    # Contract violations: a reason per field, in the applicant's language (ko here).
    assert reasons_of(by_key[f"{tag}-big"][0]) == {"$.data.startup.description": "string_too_long"}
    assert reasons_of(by_key[f"{tag}-types"][0]) == {
        "$.data.startup.employees": "int_type",
        "$.data.answers": "dict_type",
    }
    (day,) = by_key[f"{tag}-day"]
    assert reasons_of(day) == {"$.data.startup.founded_on": "invalid_date"}
    assert day["reasons"][0]["message"].startswith("실제로 있는 날짜여야 합니다")
    assert reasons_of(by_key[f"{tag}-many"][0]) == {"$.data.startup.employees": "less_than_equal"}
    assert reasons_of(by_key[f"{tag}-crlfname"][0]) == {"$.data.startup.name": "control_character"}
    for name in ("big", "types", "day", "many", "crlfname"):
        assert by_key[f"{tag}-{name}"][0]["application_id"] is None  # nothing stored
    # A wrong check digit is an eligibility reason: stored as ineligible, the applicant told.
    (brn,) = by_key[f"{tag}-brn"]
    assert [r["code"] for r in brn["reasons"]] == ["invalid_business_registration_number"]
    assert "1234567890" in brn["reasons"][0]["message"]
    ineligible = await staff["applications"].get(f"/applications/{brn['application_id']}")
    assert ineligible.json()["status"] == "ineligible"
    (after,) = by_key[f"{tag}-valid"]
    assert after["outcome"] == "accepted"

    # Only the submission whose id cannot be read (300 characters) is a dead letter alone.
    dead = await read_until(
        local_stack.kafka,
        "intake.applications.dlq",
        lambda r: (r.key or b"").startswith(tag.encode()),
        count=1,
    )
    assert [r.key.decode() for r in dead] == [f"{tag}-long"]
    assert "submission_id" in (header(dead[0], "dlq_detail") or "")

    # HTML is text to us: stored exactly as sent (escaping is every renderer's job).
    stored = await staff["applications"].get(f"/applications/{accepted['application_id']}")
    assert stored.json()["startup_name"] == html_name
