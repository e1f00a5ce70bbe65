"""The running notifications service while its mail server is down: the receipt and the
enrollment mails of a real submission and decision stay pending (attempts recorded, visible over
HTTP), and once the server is back each leaves exactly once, with its `email.sent`.

The outage on the sender alone is in notifications' `test_mail_crash_recovery_integration`;
this one goes through Kafka, the consumers and the HTTP API of the real process.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.platform import PlatformServices
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually, header, read_until
from tests.e2e.kafka_io import receipt_for, submit, submitted_event
from tests.e2e.support import unique

pytestmark = pytest.mark.integration

#: The outage lasts until the sender has tried this often in all. While the server refuses it,
#: it tries one mail, then pauses (1 s, 2 s, 4 s...): the third try comes after both pauses and
#: after a mail's capped backoff (MAIL_RETRY_MAX_SECONDS below), i.e. several seconds down.
ATTEMPTS_WHILE_DOWN = 3


async def test_mail_server_outage_ends_with_each_mail_sent_once(
    local_stack: StackEndpoints,
    platform: PlatformServices,
    staff: dict[str, httpx.AsyncClient],
    open_cohort: dict[str, str],
) -> None:
    server = FaultySmtp()  # not listening: connections are refused
    platform.process("notifications").terminate()
    platform.start(
        "notifications",
        extra_env={
            "SMTP_HOST": server.host,
            "SMTP_PORT": str(server.port),
            "MAIL_RETRY_BASE_SECONDS": "1",
            "MAIL_RETRY_MAX_SECONDS": "2",
            "MAIL_POLL_INTERVAL_SECONDS": "0.5",
        },
    )
    notifications = staff["notifications"]
    applicant = f"{unique('founder')}@startup.example"
    submission = unique("outage")
    try:
        await submit(
            local_stack.kafka,
            submitted_event(
                submission,
                program_code=open_cohort["program"],
                cohort_code=open_cohort["cohort"],
                contact_email=applicant,
            ),
        )
        application_id = (await receipt_for(local_stack.kafka, submission))["application_id"]
        correlation = unique("outage-decision")
        decided = await staff["applications"].post(
            f"/applications/{application_id}/decision",
            json={"outcome": "accepted", "reason": "Selected"},
            headers={"X-Correlation-Id": correlation},
        )
        assert decided.status_code == 200, decided.text

        async def mine() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            for address in (applicant, open_cohort["manager_email"]):
                listed = await notifications.get("/deliveries", params={"recipient": address})
                assert listed.status_code == 200, listed.text
                # A daily digest may join the manager's mails; it is not about this flow.
                found += [d for d in listed.json() if d["template"] != "daily_digest_manager"]
            return found

        async def all_queued_and_tried() -> list[dict[str, Any]] | None:
            # receipt ×2, decision to the manager, enrollment ×2
            found = await mine()
            return found if len(found) == 5 and any(d["attempts"] for d in found) else None

        await eventually(all_queued_and_tried, within=90, what="the mails queued while down")

        async def retried_while_down() -> list[dict[str, Any]] | None:
            found = await mine()
            return found if sum(d["attempts"] for d in found) >= ATTEMPTS_WHILE_DOWN else None

        during = await eventually(
            retried_while_down, within=90, what="the sender retrying while the server is down"
        )
        assert {d["status"] for d in during} == {"pending"}  # none given up
        tried = next(d for d in during if d["attempts"])
        detail = (await notifications.get(f"/deliveries/{tried['id']}")).json()
        assert detail["attempt_log"][0]["outcome"] == "retry"
        assert "cannot use the SMTP server" in detail["attempt_log"][0]["error"]

        server.up()

        async def all_sent() -> list[dict[str, Any]] | None:
            found = await mine()
            return found if {d["status"] for d in found} == {"sent"} else None

        sent = await eventually(all_sent, within=90, what="every mail after the outage")
        # Stopped: nothing more can leave, so what the server holds is final.
        assert platform.process("notifications").terminate() == 0
        arrived = server.message_ids()
        assert {d["message_id"]: arrived[d["message_id"]] for d in sent} == {
            d["message_id"]: 1 for d in sent
        }
    finally:
        if platform.process("notifications").is_running():
            platform.process("notifications").terminate()
        platform.start("notifications")  # back on the stack's mail capture for other tests
        server.down()

    events = await read_until(
        local_stack.kafka,
        "notifications.deliveries",
        lambda r: header(r, "ce_correlationid") == correlation,
        count=3,
        within=60,
    )
    assert sorted(json.loads(r.value)["data"]["template"] for r in events) == [
        "application_decided_manager",
        "enrollment_changed_manager",
        "enrollment_confirmed_applicant",
    ]
