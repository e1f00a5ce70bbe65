"""Erasure in notifications, on the real Postgres: the applicant replica and every mail to or
about the person lose their content (the rows stay, as counts); an application erased before
its arrival reached us is never replicated nor announced; the confirmation names no one."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from aihub_local.testing import handle_in_transaction
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.service_layer.erasure import erase_person
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.privacy import PersonErased
from aihub_shared.contracts.registry import ServiceEvents
from aihub_shared.privacy import email_sha256
from services.notifications.tests.support import (
    STARTUP,
    application_received,
    cohort_published,
    event,
    founder,
)

pytestmark = pytest.mark.integration

EMAIL = "erase.me@startup.example.com"


def erased_by_applications(application_ids: list[str], email: str | None) -> CloudEvent:
    data = PersonErased(
        request_id="req-1",
        requested_by="/tests/portal",
        service="applications",
        application_ids=application_ids,
        email_sha256=email_sha256(email) if email else None,
    )
    return ServiceEvents("/services/applications").new("person.erased", subject="req-1", data=data)


async def erase(db: asyncpg.Pool, application_ids: list[str], email: str | None) -> None:
    made = erased_by_applications(application_ids, email)
    await handle_in_transaction(db, erase_person, made, PersonErased.model_validate(made.data))


async def test_mails_to_and_about_the_person_lose_their_content_and_stay_counted(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    cohort = cohort_published()
    await handle_in_transaction(db, replicate_cohort, event("cohort.published", cohort), cohort)
    received = application_received("app-erase", contact=founder("en", EMAIL))
    handlers = lifecycle_handlers(renderer)
    await handle_in_transaction(
        db, handlers["application.received"], event("application.received", received), received
    )
    before = await db.fetch("SELECT id, template, status FROM deliveries ORDER BY id")
    assert before, "the arrival was announced"
    assert await db.fetchval(
        "SELECT count(*) FROM deliveries WHERE body_text LIKE $1", f"%{STARTUP}%"
    )
    # The message built when queued holds the address too (the bodies are base64 in it).
    assert await db.fetchval(
        "SELECT count(*) FROM deliveries WHERE position(convert_to($1, 'UTF8') IN message) > 0",
        EMAIL,
    )

    await erase(db, ["app-erase"], EMAIL)

    after = await db.fetch("SELECT id, template, status FROM deliveries ORDER BY id")
    assert [(r["id"], r["template"]) for r in after] == [(r["id"], r["template"]) for r in before]
    leftovers = await db.fetchval(
        "SELECT count(*) FROM deliveries WHERE body_text || subject || recipient || recipient_name"
        " LIKE ANY($1::text[])",
        [f"%{STARTUP}%", f"%{EMAIL}%", "%Jane Park%"],
    )
    assert leftovers == 0
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE message IS NOT NULL") == 0
    applicant = await db.fetchrow("SELECT * FROM applicants WHERE application_id = 'app-erase'")
    assert applicant is not None
    assert applicant["contact_email"].endswith("@erased.example")
    assert applicant["erased_at"] is not None
    (confirmation,) = await db.fetch(
        "SELECT convert_from(value, 'UTF8')::jsonb -> 'data' AS data FROM outbox"
        " WHERE event_type LIKE '%person.erased%'"
    )
    assert confirmation["data"]["service"] == "notifications"
    assert confirmation["data"]["erased"]["applicants"] == 1
    assert EMAIL not in str(confirmation["data"])


async def test_an_application_erased_before_it_arrived_is_never_announced(
    db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    cohort = cohort_published()
    await handle_in_transaction(db, replicate_cohort, event("cohort.published", cohort), cohort)
    await erase(db, ["app-late"], None)
    late = application_received("app-late", contact=founder("en", EMAIL))
    handlers = lifecycle_handlers(renderer)
    arrived = event("application.received", late, time=datetime.now(UTC))
    await handle_in_transaction(db, handlers["application.received"], arrived, late)
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0
    row = await db.fetchrow("SELECT * FROM applicants WHERE application_id = 'app-late'")
    assert row is not None
    assert row["startup_name"] == "(erased)"
    assert row["contact_email"] != EMAIL
