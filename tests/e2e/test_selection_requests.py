"""The publishing systems' door for appeals (이의제기) and challenges (기피 신청) over the real
broker and the real service process: accepted, refused with the reason, the same record twice
answered once, a resent request answered with the same receipt, a message that breaks the
contract refused field by field, and bytes nobody can read dead-lettered."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, header, publish, read_until, staff_token
from aihub_shared.contracts.programs import default_review_stages
from aihub_shared.contracts.registry import contract
from tests.e2e.kafka_io import as_bytes, receipt_for, submit, submitted_event
from tests.e2e.support import business_number, unique, write_test_catalog

pytestmark = pytest.mark.integration

TOPIC = "intake.selection-requests"
PORTAL = "/test/portal"
REVIEWER = "appeals-reviewer@hub.example"


def request(name: str, request_id: str, **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": PORTAL,
        "type": contract(name).type,
        "time": datetime.now(UTC).isoformat(),
        "subject": request_id,
        "datacontenttype": "application/json",
        "data": {"request_id": request_id, **data},
    }


async def _cohort_with_appeals(
    local_stack: StackEndpoints, staff: dict[str, httpx.AsyncClient], tmp_path: Path
) -> dict[str, str]:
    names = {"program": unique("appeal"), "cohort": unique("appeal-cohort")}
    stages = [
        s.model_dump(mode="json") | {"appeal_window_days": 7, "appeal_disclosure": "score"}
        for s in default_review_stages()
    ]
    path = write_test_catalog(
        tmp_path,
        program=names["program"],
        cohort=names["cohort"],
        seats=2,
        manager_email=f"{unique('pm')}@hub.example",
        review_stages=stages,
    )
    seed_catalog(local_stack, path)

    async def replicated() -> bool:
        cohorts = (await staff["applications"].get("/cohorts")).json()
        return any(c["cohort_code"] == names["cohort"] for c in cohorts)

    await eventually(replicated, what="the cohort in the applications replica")
    return names


async def _applications(local_stack: StackEndpoints, cohort: dict[str, str], n: int) -> list[str]:
    ids = []
    for i in range(n):
        submission_id = unique("appeal-sub")
        event = submitted_event(
            submission_id,
            program_code=cohort["program"],
            cohort_code=cohort["cohort"],
            contact_email=f"{submission_id}@startup.example",
            brn=business_number(4000 + i),
        )
        await submit(local_stack.kafka, event)
        receipt = await receipt_for(local_stack.kafka, submission_id)
        assert receipt["outcome"] == "accepted", receipt
        ids.append(receipt["application_id"])
    return ids


async def _receipts(local_stack: StackEndpoints, keys: dict[str, int]) -> dict[str, list[Any]]:
    """The selection receipts (envelopes) per request id, once each has its count."""
    found = await read_until(
        local_stack.kafka,
        "intake.receipts",
        lambda r: (r.key or b"").decode() in keys,
        count=sum(keys.values()),
    )
    by_key: dict[str, list[Any]] = {}
    for record in found:
        by_key.setdefault(record.key.decode(), []).append(json.loads(record.value))
    return by_key


async def test_appeals_and_challenges_on_the_kafka_door_get_receipts_exactly_once(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    tmp_path: Path,
) -> None:
    api = staff["applications"]
    cohort = await _cohort_with_appeals(local_stack, staff, tmp_path)
    rejected, in_review = await _applications(local_stack, cohort, 2)
    decided = await api.post(
        f"/applications/{rejected}/decision",
        json={"outcome": "rejected", "reason": "outside the call's scope"},
    )
    assert decided.status_code == 200, decided.text
    staff_token(REVIEWER)  # an account first: notifications then invites nobody
    assigned = await api.post(
        f"/cohorts/{cohort['cohort']}/stages/document-review/assignments",
        json={"reviewers": [{"id": REVIEWER, "name": "Reviewer"}]},
    )
    assert assigned.status_code == 200, assigned.text

    tag = unique("sel")
    appeal = request(
        "appeal.requested",
        f"{tag}-appeal",
        application_id=rejected,
        reason="the reviewers missed our patent",
        disclose=True,
    )
    resent = {**appeal, "id": str(uuid.uuid4())}  # the same request, a new event
    challenge = request(
        "challenge.requested",
        f"{tag}-challenge",
        application_id=in_review,
        stage_code="document-review",
        reviewer_id=REVIEWER.upper(),
        reason="advises a competitor",
    )
    stranger = request(  # the same door must not tell whether an e-mail reviews the application
        "challenge.requested",
        f"{tag}-stranger",
        application_id=in_review,
        stage_code="document-review",
        reviewer_id="someone@elsewhere.example",
        reason="a guess",
    )
    not_rejected = request(
        "appeal.requested", f"{tag}-not-rejected", application_id=in_review, reason="again"
    )
    foreign = request(
        "appeal.requested", f"{tag}-foreign", application_id=str(uuid.uuid4()), reason="x"
    )
    broken = request("appeal.requested", f"{tag}-broken", application_id=rejected, reason="  ")
    messages: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = [
        (f"{tag}-appeal".encode(), as_bytes(appeal), []),
        (f"{tag}-appeal".encode(), as_bytes(appeal), []),  # the same record twice
        (f"{tag}-appeal".encode(), as_bytes(resent), []),
        (f"{tag}-challenge".encode(), as_bytes(challenge), []),
        (f"{tag}-stranger".encode(), as_bytes(stranger), []),
        (f"{tag}-not-rejected".encode(), as_bytes(not_rejected), []),
        (f"{tag}-foreign".encode(), as_bytes(foreign), []),
        (f"{tag}-broken".encode(), as_bytes(broken), []),
        (f"{tag}-json".encode(), b"{not json", []),
    ]
    await publish(local_stack.kafka, TOPIC, messages)

    receipts = await _receipts(
        local_stack,
        {f"{tag}-{k}": 1 for k in ("challenge", "stranger", "not-rejected", "foreign", "broken")}
        | {f"{tag}-appeal": 2},
    )
    # One receipt for the record (sent twice), the same one again for the resent request.
    answers = receipts[f"{tag}-appeal"]
    assert [a["causationid"] for a in answers] == [appeal["id"], resent["id"]]
    assert answers[0]["data"] == answers[1]["data"]
    accepted = answers[0]["data"]
    assert (accepted["kind"], accepted["outcome"], accepted["submitted_by"]) == (
        "appeal",
        "accepted",
        PORTAL,
    )
    (challenged,) = receipts[f"{tag}-challenge"]
    assert (challenged["data"]["kind"], challenged["data"]["outcome"]) == ("challenge", "accepted")

    def reasons(key: str) -> list[str]:
        (answer,) = receipts[f"{tag}-{key}"]
        assert answer["data"]["outcome"] == "refused", answer
        return [r["code"] for r in answer["data"]["reasons"]]

    assert reasons("not-rejected") == ["not_rejected"]
    (refusal,) = receipts[f"{tag}-not-rejected"][0]["data"]["reasons"]
    assert refusal["message"] == (  # both languages: the request does not say the applicant's
        "탈락(미선정)한 신청만 이의제기할 수 있습니다. / only a rejected application can be"
        " appealed; this one is received"
    )
    assert reasons("foreign") == ["unknown_application"]
    assert reasons("stranger") == ["not_challengeable"]
    (broken_answer,) = receipts[f"{tag}-broken"]
    assert [r["path"] for r in broken_answer["data"]["reasons"]] == ["$.data.reason"]

    # One effect: one appeal, filed for the publisher, with the figures it asked for.
    appeals = (await api.get(f"/applications/{rejected}/appeals")).json()["appeals"]
    assert [(a["appeal_id"], a["filed_by"]) for a in appeals] == [
        (accepted["appeal_id"], f"intake:{PORTAL}")
    ]
    assert appeals[0]["disclosure"]["level"] == "score"
    history = (await api.get(f"/applications/{in_review}")).json()["history"]
    assert [h["action"] for h in history].count("challenged") == 1

    dead = await read_until(
        local_stack.kafka,
        f"{TOPIC}.dlq",
        lambda r: (r.key or b"").startswith(tag.encode()),
        count=1,
    )
    assert [(r.key.decode(), header(r, "dlq_reason")) for r in dead] == [
        (f"{tag}-json", "not JSON")
    ]
    assert header(dead[0], "dlq_consumer") == "applications.selection-requests"
