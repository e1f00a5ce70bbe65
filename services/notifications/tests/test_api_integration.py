"""The staff HTTP API on the real Postgres: directory and subscriptions, deliveries with their
attempts, resends, previews; 401/403/404/409/422 with reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import asyncpg
import httpx
import pytest

from aihub_local.testing import (
    UNUSED_KAFKA_LOGIN,
    StaffAccount,
    StaffHeaders,
    handle_in_transaction,
    oidc_issuer_url,
)
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.entrypoints.app import definition
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_notifications.settings import Settings
from aihub_shared.contracts import topics
from aihub_shared.runtime.service import http_app
from services.notifications.tests.support import (
    application_received,
    cohort_published,
    event,
    manager,
    queue_enrollment,
    record,
    service_consumers,
)

pytestmark = pytest.mark.integration

ADMIN = StaffHeaders(StaffAccount("admin@hub.example", ("admin",)))
OPS = StaffHeaders(StaffAccount("ops@hub.example", ("ops",)))
REVIEWER = StaffHeaders(StaffAccount("reviewer@hub.example"))
#: Program managers are the catalog's: the `api` fixture replicates a cohort of each program
#: naming them.
PM = StaffHeaders(StaffAccount(manager(1).email))
OTHER_PM = StaffHeaders(StaffAccount(manager(9).email))


async def replicate_managers(db: asyncpg.Pool) -> None:
    """pm1 manages cyber-valley, pm9 membership, as their cohorts' `cohort.published` says."""
    cyber_valley = cohort_published("cv-managers", [manager(1)])
    membership = cohort_published("ms-managers", [manager(9)]).model_copy(
        update={"program_code": "membership"}
    )
    for published in (cyber_valley, membership):
        cohort_event = event("cohort.published", published)
        await handle_in_transaction(db, replicate_cohort, cohort_event, published)


@pytest.fixture
async def api(db: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.model_validate(
        {
            "NOTIFICATIONS_DATABASE_URL": "postgresql://unused@localhost/x",
            "OIDC_ISSUER_URL": oidc_issuer_url(),
            **UNUSED_KAFKA_LOGIN,
        }
    )
    await replicate_managers(db)
    app = http_app(definition(settings))
    app.state.runtime = SimpleNamespace(pool=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifications") as client:
        yield client


async def test_no_token_is_401_and_reviewers_cannot_manage_the_directory(
    api: httpx.AsyncClient,
) -> None:
    assert (await api.get("/staff")).status_code == 401
    refused = await api.get("/staff", headers=REVIEWER)
    assert refused.status_code == 403
    assert "reviewer" in refused.json()["detail"]
    assert (await api.get("/deliveries", headers=REVIEWER)).status_code == 403


async def test_ops_manage_the_directory(api: httpx.AsyncClient) -> None:
    created = await api.put(
        "/staff/Ops.Two@Hub.example",
        json={"name": "운영 담당", "locale": "ko", "role": "ops"},
        headers=OPS,
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "ops.two@hub.example"
    again = await api.put(
        "/staff/ops.two@hub.example",
        json={"name": "Ops Two", "locale": "en", "role": "ops"},
        headers=ADMIN,
    )
    assert again.status_code == 200
    subscribed = await api.put(
        "/staff/ops.two@hub.example/subscriptions",
        json={"subscriptions": [{"kind": "dead_letters"}]},
        headers=OPS,
    )
    assert subscribed.status_code == 200, subscribed.text
    assert subscribed.json() == [{"kind": "dead_letters", "program_code": "*"}]
    listed = (await api.get("/staff", headers=OPS)).json()
    assert [(m["email"], m["locale"], m["subscriptions"]) for m in listed] == [
        ("ops.two@hub.example", "en", [{"kind": "dead_letters", "program_code": "*"}])
    ]
    assert (await api.delete("/staff/ops.two@hub.example", headers=OPS)).status_code == 204
    assert (await api.delete("/staff/ops.two@hub.example", headers=OPS)).status_code == 404
    missing = await api.put(
        "/staff/nobody@hub.example/subscriptions",
        json={"subscriptions": []},
        headers=OPS,
    )
    assert missing.status_code == 404


async def test_bad_input_is_422_with_the_field(api: httpx.AsyncClient) -> None:
    bad_email = await api.put(
        "/staff/not-an-address", json={"name": "X", "role": "ops"}, headers=ADMIN
    )
    assert bad_email.status_code == 422
    assert bad_email.json()["detail"][0]["loc"] == ["path", "email"]
    bad_body = await api.put(
        "/staff/x@hub.example",
        json={"name": "Evil\r\nBcc: y@hub.example", "role": "boss"},
        headers=ADMIN,
    )
    assert bad_body.status_code == 422
    assert {tuple(e["loc"]) for e in bad_body.json()["detail"]} == {
        ("body", "name"),
        ("body", "role"),
    }
    bad_kind = await api.put(
        "/staff/x@hub.example/subscriptions",
        json={"subscriptions": [{"kind": "everything", "program_code": "Not A Code"}]},
        headers=ADMIN,
    )
    assert bad_kind.status_code == 422
    locs = {tuple(e["loc"][:4]) for e in bad_kind.json()["detail"]}
    assert ("body", "subscriptions", 0, "kind") in locs
    per_program_alerts = await api.put(
        "/staff/x@hub.example/subscriptions",
        json={"subscriptions": [{"kind": "dead_letters", "program_code": "cyber-valley"}]},
        headers=ADMIN,
    )
    assert per_program_alerts.status_code == 422
    assert "every program" in per_program_alerts.text
    assert (await api.get("/deliveries?status=lost", headers=OPS)).status_code == 422
    assert (await api.get("/deliveries/not-a-uuid", headers=OPS)).status_code == 422


async def test_a_program_manager_manages_only_their_own_subscriptions(
    api: httpx.AsyncClient,
) -> None:
    own = await api.put(
        "/staff/pm1@hub.example.com/subscriptions",
        json={"subscriptions": [{"kind": "decision", "program_code": "cyber-valley"}]},
        headers=PM,
    )
    assert own.status_code == 200, own.text  # the first edit adds them to the directory
    assert own.json() == [{"kind": "decision", "program_code": "cyber-valley"}]
    assert (await api.get("/staff/pm1@hub.example.com/subscriptions", headers=PM)).json() == [
        {"kind": "decision", "program_code": "cyber-valley"}
    ]
    other_program = await api.put(
        "/staff/pm1@hub.example.com/subscriptions",
        json={"subscriptions": [{"kind": "decision", "program_code": "membership"}]},
        headers=PM,
    )
    assert other_program.status_code == 403
    assert "membership" in other_program.json()["detail"]
    every = await api.put(
        "/staff/pm1@hub.example.com/subscriptions",
        json={"subscriptions": [{"kind": "decision"}]},
        headers=PM,
    )
    assert every.status_code == 403
    someone_else = await api.put(
        "/staff/pm9@hub.example.com/subscriptions",
        json={"subscriptions": []},
        headers=PM,
    )
    assert someone_else.status_code == 403
    assert (
        await api.get("/staff/pm9@hub.example.com/subscriptions", headers=PM)
    ).status_code == 403
    assert (
        await api.put("/staff/pm1@hub.example.com", json={"name": "x", "role": "ops"}, headers=PM)
    ).status_code == 403


async def test_deliveries_list_filter_detail_and_scope(
    api: httpx.AsyncClient, db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    event = await queue_enrollment(
        db, renderer, application_id="app-1", managers=[manager(1), manager(2)]
    )
    listed = (await api.get("/deliveries", headers=OPS, params={"event_id": event.id})).json()
    assert len(listed) == 3
    assert {d["status"] for d in listed} == {"pending"}
    only = await api.get(
        "/deliveries",
        headers=OPS,
        params={"template": "enrollment_confirmed_applicant", "status": "pending"},
    )
    assert [d["recipient"] for d in only.json()] == ["founder@startup.example.com"]
    assert "body_html" not in only.json()[0]  # lists stay light

    # A program manager sees the mails about their programs, nobody else's.
    assert len((await api.get("/deliveries", headers=PM)).json()) >= 3
    assert (await api.get("/deliveries", headers=OTHER_PM)).json() == []
    forbidden = await api.get(
        "/deliveries", headers=OTHER_PM, params={"program_code": "cyber-valley"}
    )
    assert forbidden.status_code == 403

    one = listed[0]["id"]
    detail = await api.get(f"/deliveries/{one}", headers=PM)
    assert detail.status_code == 200
    assert detail.json()["attempt_log"] == []
    assert detail.json()["body_text"]
    assert (await api.get(f"/deliveries/{one}", headers=OTHER_PM)).status_code == 403
    unknown = await api.get("/deliveries/00000000-0000-0000-0000-000000000000", headers=OPS)
    assert unknown.status_code == 404


async def test_resend_is_a_new_recorded_delivery(
    api: httpx.AsyncClient, db: asyncpg.Pool, renderer: MailRenderer
) -> None:
    await queue_enrollment(db, renderer, application_id="app-1", managers=[])
    (original,) = await db.fetch("SELECT id, message_id FROM deliveries")
    pending = await api.post(f"/deliveries/{original['id']}/resend", headers=OPS)
    assert pending.status_code == 409
    assert "pending" in pending.json()["detail"]

    await db.execute("UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = 1")
    resent = await api.post(f"/deliveries/{original['id']}/resend", headers=PM)
    assert resent.status_code == 201, resent.text
    new_id = resent.json()["id"]
    row = await db.fetchrow("SELECT * FROM deliveries WHERE id = $1::uuid", new_id)
    assert row is not None
    assert row["status"] == "pending"
    assert row["resend_of"] == original["id"]
    assert row["requested_by"] == "pm1@hub.example.com"
    assert row["message_id"] != original["message_id"]
    detail = (await api.get(f"/deliveries/{new_id}", headers=OPS)).json()
    assert detail["resend_of"] == str(original["id"])
    assert (
        await api.post(f"/deliveries/{original['id']}/resend", headers=OTHER_PM)
    ).status_code == 403
    missing = await api.post("/deliveries/00000000-0000-0000-0000-000000000000/resend", headers=OPS)
    assert missing.status_code == 404


async def test_a_grouped_mail_is_found_by_any_event_it_tells_of_and_resent_whole(
    api: httpx.AsyncClient, db: asyncpg.Pool, notifications_dsn: str
) -> None:
    arrivals = [
        event("application.received", application_received(f"app-{n}", "cv-managers"))
        for n in range(3)
    ]
    lifecycle = service_consumers(db, notifications_dsn)["notifications.lifecycle"]
    await lifecycle.handle_batch([record(topics.APPLICATIONS_LIFECYCLE, e) for e in arrivals])

    middle = arrivals[1].id
    listed = (await api.get("/deliveries", headers=PM, params={"event_id": middle})).json()
    assert sorted((d["template"], d["event_id"]) for d in listed) == [
        ("application_received_applicant", middle),
        ("applications_received_manager", arrivals[0].id),
    ]
    (grouped,) = [d for d in listed if d["template"] == "applications_received_manager"]
    assert grouped["covered_event_ids"] == [e.id for e in arrivals]

    await db.execute("UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = 1")
    resent = await api.post(f"/deliveries/{grouped['id']}/resend", headers=PM)
    assert resent.status_code == 201, resent.text
    copy = (await api.get(f"/deliveries/{resent.json()['id']}", headers=PM)).json()
    original = (await api.get(f"/deliveries/{grouped['id']}", headers=PM)).json()
    assert (copy["template"], copy["body_text"]) == (original["template"], original["body_text"])
    assert [f"app-{n}" in copy["body_text"] for n in range(3)] == [True, True, True]


async def test_preview_every_template_in_both_languages(api: httpx.AsyncClient) -> None:
    templates = (await api.get("/templates", headers=REVIEWER)).json()
    assert len(templates) == 22
    for name in templates:
        for locale in ("ko", "en"):
            preview = await api.get(
                f"/templates/{name}/preview", params={"locale": locale}, headers=REVIEWER
            )
            assert preview.status_code == 200, (name, locale, preview.text)
            body = preview.json()
            assert body["locale"] == locale
            assert body["subject"].startswith(
                "[서울AI허브]" if locale == "ko" else "[Seoul AI Hub]"
            )
            assert body["html"].startswith("<!DOCTYPE html>")
    assert (await api.get("/templates/nothing_like_it/preview", headers=OPS)).status_code == 404
    bad_locale = await api.get(
        "/templates/enrollment_confirmed_applicant/preview", params={"locale": "fr"}, headers=OPS
    )
    assert bad_locale.status_code == 422
