"""Bad input on the public door goes to the dead-letter topic with its reason; valid traffic
behind it is still processed. Real broker, real service process."""

from __future__ import annotations

import json

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import header, publish, read_until
from tests.e2e.kafka_io import as_bytes, receipt_for, submit, submitted_event
from tests.e2e.support import unique

pytestmark = pytest.mark.integration


async def test_bad_messages_are_dead_lettered_and_the_next_valid_one_is_processed(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    tag = unique("bad")

    def valid(submission_id: str, **changes: object) -> dict[str, object]:
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
    broken["data"] = {**broken["data"], "consent_personal_info": "maybe", "startup": {}}  # type: ignore[dict-item]
    injected = valid(f"{tag}-crlf")
    injected["data"]["contact"]["name"] = "Mallory\r\nBcc: everyone@example.com"  # type: ignore[index]
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

    dead = await read_until(
        local_stack.kafka,
        "intake.applications.dlq",
        lambda r: (r.key or b"").startswith(tag.encode()),
        count=4,
    )
    reasons = {r.key.decode(): header(r, "dlq_reason") for r in dead}
    assert reasons == {
        f"{tag}-json": "not JSON",
        f"{tag}-unknown": "unknown event type",
        f"{tag}-broken": "data violates the contract",
        f"{tag}-crlf": "data violates the contract",
    }
    by_key = {r.key.decode(): r for r in dead}
    # The original bytes and headers travel unchanged, with where they came from.
    assert by_key[f"{tag}-json"].value == b"\x00\xffthis is not json{"
    assert ("x-trace", b"\xff\xfe\x00") in list(by_key[f"{tag}-crlf"].headers)
    assert header(by_key[f"{tag}-json"], "dlq_topic") == "intake.applications"
    assert header(by_key[f"{tag}-json"], "dlq_consumer") == "applications.intake"
    detail = header(by_key[f"{tag}-broken"], "dlq_detail") or ""
    assert "consent_personal_info" in detail
    assert "startup" in detail
    assert "control characters" in (header(by_key[f"{tag}-crlf"], "dlq_detail") or "")

    # The valid message published after them still went through (a hostile header is harmless).
    receipts = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: r.key == f"{tag}-after".encode(),
        count=1,
    )
    receipt = json.loads(receipts[0].value)["data"]
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

    def event(name: str, brn: str = "2208162517", **data: object) -> dict[str, object]:
        submission_id = f"{tag}-{name}"
        document = submitted_event(
            submission_id,
            program_code=open_cohort["program"],
            cohort_code=open_cohort["cohort"],
            contact_email=f"{name}@startup.example",
            brn=brn,
        )
        document["data"].update(data)
        return document

    html_name = "<script>alert('x')</script> & <b>Labs</b>"
    first = event("first")
    first["data"]["startup"]["name"] = html_name  # type: ignore[index]
    conflicting = event("first")  # same submission id, different content
    conflicting["data"]["startup"]["name"] = "Another name"  # type: ignore[index]
    duplicate_brn = event("dup")  # another submission of the same business to the same cohort
    oversized = event("big")
    oversized["data"]["startup"]["description"] = "x" * 6000  # type: ignore[index]
    wrong_types = event("types", brn="1018143368", answers=["not", "a", "map"])
    wrong_types["data"]["startup"]["employees"] = "ten"  # type: ignore[index]
    long_id = event("long")
    long_id["data"]["submission_id"] = "x" * 300  # type: ignore[index]
    bad_brn = event("brn", brn="1234567890")
    valid = event("valid", brn="1018143368")

    await publish(
        local_stack.kafka,
        "intake.applications",
        [
            (f"{tag}-first".encode(), as_bytes(first), []),
            (f"{tag}-first".encode(), as_bytes(conflicting), []),
            (f"{tag}-dup".encode(), as_bytes(duplicate_brn), []),
            (f"{tag}-big".encode(), as_bytes(oversized), []),
            (f"{tag}-types".encode(), as_bytes(wrong_types), []),
            (f"{tag}-long".encode(), as_bytes(long_id), []),
            (f"{tag}-brn".encode(), as_bytes(bad_brn), []),
            (f"{tag}-valid".encode(), as_bytes(valid), []),
        ],
    )

    dead = await read_until(
        local_stack.kafka,
        "intake.applications.dlq",
        lambda r: (r.key or b"").startswith(tag.encode()),
        count=4,
    )
    details = {r.key.decode(): header(r, "dlq_detail") or "" for r in dead}
    assert sorted(details) == sorted(f"{tag}-{n}" for n in ("big", "types", "long", "brn"))
    assert "description" in details[f"{tag}-big"]
    assert "employees" in details[f"{tag}-types"]
    assert "answers" in details[f"{tag}-types"]
    assert "submission_id" in details[f"{tag}-long"]
    assert "check digit" in details[f"{tag}-brn"]

    receipts = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: (r.key or b"").decode() in {f"{tag}-first", f"{tag}-dup", f"{tag}-valid"},
        count=4,
    )
    by_key: dict[str, list[dict[str, object]]] = {}
    for record in receipts:
        by_key.setdefault(record.key.decode(), []).append(json.loads(record.value)["data"])
    accepted, refused = by_key[f"{tag}-first"]
    assert accepted["outcome"] == "accepted"
    assert refused["outcome"] == "refused"
    assert [r["code"] for r in refused["reasons"]] == ["conflicting_resubmission"]  # type: ignore[attr-defined]
    (dup,) = by_key[f"{tag}-dup"]
    assert [r["code"] for r in dup["reasons"]] == ["duplicate_business_registration"]  # type: ignore[attr-defined]
    assert str(accepted["application_id"]) in dup["reasons"][0]["message"]  # type: ignore[index]
    (after,) = by_key[f"{tag}-valid"]
    assert after["outcome"] == "accepted"

    # HTML is text to us: stored exactly as sent (escaping is every renderer's job).
    stored = await staff["applications"].get(f"/applications/{accepted['application_id']}")
    assert stored.json()["startup_name"] == html_name
