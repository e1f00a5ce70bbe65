"""Issue 14 end to end over the real broker and the running services: a cohort with every
selection rule on (blind document review with a pledge, a trimmed mean, cut-offs, a share of
external reviewers, appeals with disclosure; a calibrated presentation review; bonus points)
goes from submissions to enrollment, with a challenge and an appeal sent by the publishing
system over Kafka, decided by the manager over HTTP, and the applicant mailed the appeal's
outcome with the figures asked for; each reviewer is reminded of each review before scoring
it (the 48-hour reminder, naming only the blind stage's anonymous label)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices, seed_catalog
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, mails_to, publish, read_until, staff_token
from aihub_shared.contracts.registry import contract
from tests.e2e.kafka_io import as_bytes, receipt_for, submit, submitted_event
from tests.e2e.support import business_number, unique, write_test_catalog

pytestmark = pytest.mark.integration

DOC, PRES = "document-review", "presentation-review"
STAGES: list[dict[str, Any]] = [
    {
        "code": DOC,
        "name_ko": "서류평가",
        "name_en": "Document review",
        "weight": 40,
        "min_reviewers": 3,
        "trim_extremes_from": 3,
        "cutoff_score": 60,
        "min_external_share": 0.3,
        "blind": True,
        "pledge_required": True,
        "appeal_window_days": 7,
        "appeal_disclosure": "score_and_criteria",
        "criteria": [
            {
                "code": "technology",
                "name_ko": "기술성",
                "name_en": "Technology",
                "weight": 1,
                "cutoff": 40,
            },
            {"code": "market", "name_ko": "시장성", "name_en": "Market", "weight": 1},
        ],
    },
    {
        "code": PRES,
        "name_ko": "발표평가",
        "name_en": "Presentation review",
        "weight": 60,
        "min_reviewers": 2,
        "calibration": "z-score",
        "appeal_window_days": 3,
        "criteria": [{"code": "pitch", "name_ko": "발표", "name_en": "Pitch", "weight": 1}],
    },
]
BONUS = [
    {"code": "youth-founder", "name_ko": "청년 창업자", "name_en": "Young founder", "points": 1}
]
PORTAL = "/test/portal"
REMINDER = "review_reminder_reviewer"


@pytest.fixture
def quick_reminders(platform: PlatformServices) -> Iterator[None]:
    """Notifications looks for due reminders every half second during the test."""
    platform.process("notifications").terminate()
    platform.start("notifications", extra_env={"REVIEW_REMINDER_POLL_SECONDS": "0.5"})
    try:
        yield
    finally:
        if platform.process("notifications").is_running():
            platform.process("notifications").terminate()
        platform.start("notifications")  # the default poll again, for other tests


def selection_request(name: str, request_id: str, **data: Any) -> dict[str, Any]:
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


async def send_and_read_receipt(
    local_stack: StackEndpoints, name: str, request_id: str, **data: Any
) -> dict[str, Any]:
    event = selection_request(name, request_id, **data)
    await publish(
        local_stack.kafka, "intake.selection-requests", [(request_id.encode(), as_bytes(event), [])]
    )
    (receipt,) = await read_until(
        local_stack.kafka, "intake.receipts", lambda r: r.key == request_id.encode(), count=1
    )
    answer: dict[str, Any] = json.loads(receipt.value)["data"]
    assert answer["outcome"] == "accepted", answer
    return answer


async def test_a_cohort_with_every_rule_goes_from_submissions_to_enrollment(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    tmp_path: Path,
    quick_reminders: None,
) -> None:
    api = staff["applications"]
    program, cohort = unique("rules"), unique("rules-cohort")
    manager_email = f"{unique('pm')}@hub.example"
    seed_catalog(
        local_stack,
        write_test_catalog(
            tmp_path,
            program=program,
            cohort=cohort,
            seats=2,
            manager_email=manager_email,
            review_stages=STAGES,
            bonus_items=BONUS,
            bonus_cap=1,
        ),
    )

    async def replicated() -> bool:
        return any(c["cohort_code"] == cohort for c in (await api.get("/cohorts")).json())

    await eventually(replicated, what="the cohort in the applications replica")

    # Three startups apply through the publishing system.
    ids: dict[str, str] = {}
    founders: dict[str, str] = {}
    for n, name in enumerate(("alpha", "beta", "gamma")):
        submission_id = unique(f"rules-{name}")
        founders[name] = f"{submission_id}@startup.example"
        await submit(
            local_stack.kafka,
            submitted_event(
                submission_id,
                program_code=program,
                cohort_code=cohort,
                contact_email=founders[name],
                startup_name=f"{name.title()} AI",
                brn=business_number(5000 + n),
            ),
        )
        receipt = await receipt_for(local_stack.kafka, submission_id)
        assert receipt["outcome"] == "accepted", receipt
        ids[name] = receipt["application_id"]

    inside, other, outside = (f"{unique(who)}@hub.example" for who in ("in", "other", "prof"))
    reviewers = (inside, other, outside)
    for reviewer in reviewers:
        staff_token(reviewer)  # an account first: nobody is invited meanwhile

    def as_reviewer(reviewer: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {staff_token(reviewer)}"}

    # 서류평가: blind, pledge first, three reviewers of whom one external.
    assigned = await api.post(
        f"/cohorts/{cohort}/stages/{DOC}/assignments",
        json={
            "reviewers": [
                {"id": inside, "name": "In"},
                {"id": other, "name": "Other"},
                {"id": outside, "name": "Prof", "external": True},
            ],
            "per_application": 3,
            # Due just over 48 hours from now: the 48-hour reminder falls due seconds later.
            "due_at": (datetime.now(UTC) + timedelta(hours=48, seconds=5)).isoformat(),
        },
    )
    assert assigned.status_code == 200, assigned.text

    async def reminded() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = []
        for reviewer in reviewers:
            listed = await staff["notifications"].get(
                "/deliveries", params={"recipient": reviewer, "template": REMINDER}
            )
            assert listed.status_code == 200, listed.text
            found += listed.json()
        return found if len(found) == 9 and {d["status"] for d in found} == {"sent"} else None

    # One reminder per unscored review (3 reviewers x 3 applications), before any score.
    await eventually(reminded, within=90, what="a reminder of each review")
    for reviewer in reviewers:
        reminders = [m for m in mails_to(local_stack.mail_dir, reviewer) if "기한" in subject(m)]
        assert len(reminders) == 3
        for mail in reminders:
            parts = [
                bytes(part.get_payload(decode=True)).decode("utf-8")
                for part in mail.walk()
                if not part.is_multipart()
            ]
            assert len(parts) == 2  # text and HTML, each naming the scoring page
            assert all("/reviews/" in body for body in parts)
            seen = " ".join([subject(mail), *parts])
            assert not any(f"{name.title()} AI" in seen for name in ids)  # blind stage
    doc_scores = {
        "alpha": {inside: 90, other: 80, outside: 70},
        "beta": {inside: 80, other: 70, outside: 75},
        "gamma": {inside: 50, other: 60, outside: 55},  # trimmed mean 55: below the cut-off
    }
    for reviewer in reviewers:
        blind = await api.get(f"/applications/{ids['alpha']}", headers=as_reviewer(reviewer))
        assert "Alpha AI" not in blind.text  # blind review
        refused = await api.put(
            f"/applications/{ids['alpha']}/stages/{DOC}/scores",
            json={"scores": {"technology": 70, "market": 70}},
            headers=as_reviewer(reviewer),
        )
        assert refused.status_code == 409  # the pledge first
        pledged = await api.post(
            f"/cohorts/{cohort}/stages/{DOC}/pledge", headers=as_reviewer(reviewer)
        )
        assert pledged.status_code == 200, pledged.text
        for name, given in doc_scores.items():
            scored = await api.put(
                f"/applications/{ids[name]}/stages/{DOC}/scores",
                json={"scores": {"technology": given[reviewer], "market": given[reviewer]}},
                headers=as_reviewer(reviewer),
            )
            assert scored.status_code == 200, scored.text

    # The applicant challenges a reviewer through the publishing system; the manager dismisses.
    challenge = await send_and_read_receipt(
        local_stack,
        "challenge.requested",
        unique("rules-challenge"),
        application_id=ids["alpha"],
        stage_code=DOC,
        reviewer_id=inside,
        reason="advises a competitor",
    )
    dismissed = await api.post(
        f"/challenges/{challenge['challenge_id']}/decision",
        json={"outcome": "dismissed", "reason": "no advisory contract found"},
    )
    assert dismissed.status_code == 200, dismissed.text

    closed = await api.post(f"/cohorts/{cohort}/stages/{DOC}/advance", json={"reason": "마감"})
    assert closed.status_code == 200, closed.text
    assert {o["application_id"]: o["passed"] for o in closed.json()} == {
        ids["alpha"]: True,
        ids["beta"]: True,
        ids["gamma"]: False,
    }

    # Gamma appeals through the publishing system, asking for its figures; the manager upholds.
    appeal = await send_and_read_receipt(
        local_stack,
        "appeal.requested",
        unique("rules-appeal"),
        application_id=ids["gamma"],
        reason="the market score misses our signed pilot",
        disclose=True,
    )
    upheld = await api.post(
        f"/appeals/{appeal['appeal_id']}/decision",
        json={"outcome": "upheld", "reason": "the pilot contract was overlooked"},
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["reinstated_to_stage"] == PRES

    async def appeal_mails() -> list[Any]:
        mails = mails_to(local_stack.mail_dir, founders["gamma"])
        return [m for m in mails if "your appeal" in subject(m)]

    (mail,) = await eventually(appeal_mails, what="the appeal's outcome mailed to gamma")
    assert "upheld" in subject(mail)
    text = "".join(
        bytes(part.get_payload(decode=True)).decode("utf-8")
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "back in review, in Presentation review" in text
    assert "Stage score: 55.00 (cut-off 60)" in text  # the trimmed mean of 50, 55 and 60
    assert inside not in text  # never who reviewed

    # 발표평가: calibrated; gamma is back in the pool and assigned like the others.
    pres = await api.post(
        f"/cohorts/{cohort}/stages/{PRES}/assignments",
        json={"reviewers": [{"id": inside, "name": "In"}, {"id": other, "name": "Other"}]},
    )
    assert pres.status_code == 200, pres.text
    assert len(pres.json()["assigned"]) == 6
    pres_scores = {
        "alpha": {inside: 90, other: 70},
        "beta": {inside: 80, other: 60},
        "gamma": {inside: 85, other: 65},
    }
    for name, given in pres_scores.items():
        for reviewer, value in given.items():
            scored = await api.put(
                f"/applications/{ids[name]}/stages/{PRES}/scores",
                json={"scores": {"pitch": value}},
                headers=as_reviewer(reviewer),
            )
            assert scored.status_code == 200, scored.text
    granted = await api.put(
        f"/applications/{ids['beta']}/bonus-points/youth-founder",
        json={"reason": "founder born 1998"},
    )
    assert granted.status_code == 200, granted.text

    selected = await api.post(
        f"/cohorts/{cohort}/selection", json={"reason": "선정위원회", "reserve": 1}
    )
    assert selected.status_code == 200, selected.text
    ranks = {o["application_id"]: o["rank"] for o in selected.json()}
    assert sorted(r for r in ranks.values() if r is not None) == [1, 2, 3]

    async def settled() -> dict[str, str] | None:
        seen = {
            name: (await api.get(f"/applications/{ids[name]}")).json()["status"] for name in ids
        }
        return seen if sorted(seen.values()) == ["enrolled", "enrolled", "waitlisted"] else None

    await eventually(settled, what="two seats enrolled and the reserve waitlisted")


def subject(mail: Any) -> str:
    return str(make_header(decode_header(mail["Subject"])))
