"""A reviewer reminder through the running services: a submission over Kafka, two reviewers
assigned over HTTP with a due time just over 48 hours away, and the notifications process sends
each of them the 48-hour reminder once, in their language (Korean when the directory does not
know them, English for one it knows so), with the `reminder.sent` fact on
`notifications.deliveries`.

The hand-worked rule (which reminder when, none once scored or withdrawn) is in notifications'
`test_reminders.py` and `test_review_reminders_integration.py`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import httpx
import pytest

from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, mails_to, read_until, staff_token
from tests.e2e.kafka_io import receipt_for, submit, submitted_event
from tests.e2e.support import unique

pytestmark = pytest.mark.integration

TEMPLATE = "review_reminder_reviewer"


async def test_each_reviewer_is_reminded_once_in_their_language(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    platform.process("notifications").terminate()
    platform.start("notifications", extra_env={"REVIEW_REMINDER_POLL_SECONDS": "0.5"})
    try:
        submission = unique("reminded")
        await submit(
            local_stack.kafka,
            submitted_event(
                submission,
                program_code=open_cohort["program"],
                cohort_code=open_cohort["cohort"],
                contact_email=f"{unique('founder')}@startup.example",
            ),
        )
        application_id = (await receipt_for(local_stack.kafka, submission))["application_id"]
        korean, english = (f"{unique(who)}@hub.example" for who in ("kim", "weber"))
        for reviewer in (korean, english):
            staff_token(reviewer)  # an account first: nobody is invited meanwhile
        member = {"name": "Anna Weber", "locale": "en", "role": "reviewer"}
        added = await staff["notifications"].put(f"/staff/{english}", json=member)
        assert added.status_code == 201, added.text

        # Due just over 48 hours from now: the 48-hour reminder falls due a few seconds later.
        due = datetime.now(UTC) + timedelta(hours=48, seconds=5)
        assigned = await staff["applications"].post(
            f"/cohorts/{open_cohort['cohort']}/stages/document-review/assignments",
            json={
                "reviewers": [{"id": korean, "name": "김심사"}, {"id": english, "name": "Weber"}],
                "per_application": 2,
                "due_at": due.isoformat(),
            },
        )
        assert assigned.status_code == 200, assigned.text
        assert len(assigned.json()["assigned"]) == 2

        async def reminders_sent() -> list[dict[str, Any]] | None:
            found = []
            for address in (korean, english):
                listed = await staff["notifications"].get(
                    "/deliveries", params={"recipient": address, "template": TEMPLATE}
                )
                assert listed.status_code == 200, listed.text
                found += listed.json()
            return found if len(found) == 2 and {d["status"] for d in found} == {"sent"} else None

        sent = await eventually(reminders_sent, within=90, what="both reminders sent")
        assert {d["recipient"]: d["locale"] for d in sent} == {korean: "ko", english: "en"}

        # The fact, on the deliveries topic, names the application and the offset.
        facts = await read_until(
            local_stack.kafka,
            "notifications.deliveries",
            lambda r: (
                ".reminder.sent." in json.loads(r.value)["type"]
                and json.loads(r.value)["data"]["application_id"] == application_id
            ),
            count=2,
        )
        data = [json.loads(r.value)["data"] for r in facts]
        assert {d["reviewer"]["id"] for d in data} == {korean, english}
        assert {d["offset_hours"] for d in data} == {48}
        assert {d["delivery_id"] for d in data} == {d["id"] for d in sent}
    finally:
        if platform.process("notifications").is_running():
            platform.process("notifications").terminate()
        platform.start("notifications")  # the default poll again, for other tests

    # Each arrived exactly once, in its language, with the button to the scoring page.
    for address, words in ((korean, "심사 기한 안내"), (english, "Review due")):
        [mail] = [m for m in mails_to(local_stack.mail_dir, address) if words in subject(m)]
        assert mail["Content-Language"] == ("ko" if address == korean else "en")
        parts = [
            bytes(part.get_payload(decode=True)).decode("utf-8")
            for part in mail.walk()
            if not part.is_multipart()
        ]
        assert len(parts) == 2  # text and HTML
        for body in parts:
            assert f"/reviews/{application_id}" in body


def subject(mail: Any) -> str:
    return str(make_header(decode_header(mail["Subject"])))
