"""Erasure in the applications service: an admin's request over HTTP anonymises the person's
applications at once and asks the others through `person.erased`; the receipt follows the
third confirmation, once."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from aihub_applications.service_layer.erasure import collect_confirmation
from aihub_local.testing import handle_in_transaction
from aihub_shared.contracts.privacy import PersonErased
from aihub_shared.contracts.registry import ServiceEvents
from aihub_shared.privacy import email_sha256
from aihub_shared.runtime.errors import RejectedEvent
from services.applications.tests.support import (
    ADMIN,
    MANAGER,
    OPS,
    CohortFactory,
    bearer,
    outbox_events_keyed,
    submission,
    submit,
)

CONSENT = {
    "text_id": "aihub-application-privacy",
    "text_version": 1,
    "locale": "en",
    "agreed_at": "2027-01-19T23:58:12+09:00",
}


async def test_an_admin_erases_a_person_here_at_once_and_asks_the_others(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(consent_text={"id": "aihub-application-privacy", "version": 1})
    email = f"erase-{uuid.uuid4().hex[:8]}@startup.example"
    data = submission(
        cohort,
        1,
        contact={"name": "Hana Erased", "email": email, "locale": "en"},
        consent=CONSENT,
    )
    application_id = (await submit(api, data))["application_id"]
    decided = await api.post(
        f"/applications/{application_id}/decision",
        json={"outcome": "rejected", "reason": "Hana Erased's plan is too early"},
        headers=bearer(ADMIN),
    )
    assert decided.status_code == 200, decided.text

    request = {"request_id": f"req-{uuid.uuid4().hex[:8]}", "email": email.upper()}
    for caller in (OPS, MANAGER):
        refused = await api.post("/privacy/erasures", json=request, headers=bearer(caller))
        assert refused.status_code == 403
    answer = await api.post("/privacy/erasures", json=request, headers=bearer(ADMIN))
    assert answer.status_code == 200, answer.text
    assert answer.json()["applications"] == 1
    assert answer.json()["confirmed_by"] == []
    assert answer.json()["completed_at"] is None

    shown = (await api.get(f"/applications/{application_id}", headers=bearer(ADMIN))).json()
    assert shown["startup_name"] == "(erased)"
    assert shown["business_registration_number"].startswith("sha256:")
    assert "contact" not in shown["submission"]
    assert "answers" not in shown["submission"]
    assert shown["erased_at"] is not None
    assert shown["consent"]["text_version"] == 1  # the proof of consent stays
    assert {h["reason"] for h in shown["history"]} == {"(erased)"}
    assert shown["status"] == "rejected"  # decisions and the hub's numbers stay

    # The same request again answers where it stands and asks nobody anything new.
    again = await api.post("/privacy/erasures", json=request, headers=bearer(ADMIN))
    assert again.json() == answer.json()
    (erased,) = await outbox_events_keyed(applications_pool, request["request_id"])
    assert erased["type"] == "person.erased"
    assert erased["service"] == "applications"
    assert erased["application_ids"] == [application_id]
    assert erased["email_sha256"] == email_sha256(email)
    assert email not in str(erased)
    assert "Hana" not in str(erased)

    # The number is hashed, not forgotten: the same business is still one per cohort.
    duplicate = await submit(api, {**data, "submission_id": f"again-{uuid.uuid4().hex[:8]}"})
    assert [r["code"] for r in duplicate["reasons"]] == ["duplicate_business_registration"]


async def test_the_receipt_follows_the_third_confirmation_once(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort()
    application_id = (await submit(api, submission(cohort, 2)))["application_id"]
    request_id = f"req-{uuid.uuid4().hex[:8]}"
    body = {"request_id": request_id, "application_ids": [application_id]}
    answer = await api.post("/privacy/erasures", json=body, headers=bearer(ADMIN))
    assert answer.status_code == 200, answer.text
    requested_by = answer.json()["requested_by"]
    assert requested_by == f"/http/{ADMIN.email}"

    def confirmation(service: str, source: str | None = None) -> tuple[object, PersonErased]:
        data = PersonErased(
            request_id=request_id,
            requested_by=requested_by,
            service=service,
            application_ids=[application_id],
        )
        event = ServiceEvents(source or f"/services/{service}").new(
            "person.erased", subject=request_id, data=data
        )
        return event, data

    with pytest.raises(RejectedEvent, match="cannot confirm"):
        await handle_in_transaction(
            applications_pool, collect_confirmation, *confirmation("programs", "/partners/x")
        )
    for service in ("applications", "programs", "programs", "notifications", "notifications"):
        await handle_in_transaction(applications_pool, collect_confirmation, *confirmation(service))
    receipts = [
        e
        for e in await outbox_events_keyed(applications_pool, request_id)
        if e["type"] == "erasure.receipt"
    ]
    assert len(receipts) == 1
    assert receipts[0]["outcome"] == "erased"
    assert receipts[0]["submitted_by"] == requested_by
    assert receipts[0]["applications"] == 1
    status = await api.get(f"/privacy/erasures/{request_id}", headers=bearer(ADMIN))
    assert status.json()["confirmed_by"] == ["applications", "notifications", "programs"]
    assert status.json()["completed_at"] is not None

    unknown = await api.get("/privacy/erasures/nope", headers=bearer(ADMIN))
    assert unknown.status_code == 404
    nobody = await api.post(
        "/privacy/erasures", json={"request_id": "r-none"}, headers=bearer(ADMIN)
    )
    assert nobody.status_code == 422
