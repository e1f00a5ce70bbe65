"""The application's status follows the programs service's enrollment events (real Postgres)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from aihub_applications.service_layer.replicas import follow_enrollment
from aihub_local.testing import handle_in_transaction
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import EnrollmentChanged
from aihub_shared.contracts.registry import contract
from aihub_shared.runtime.errors import RejectedEvent
from services.applications.tests.support import (
    ADMIN,
    CohortFactory,
    bearer,
    submission,
    submit,
)

pytestmark = pytest.mark.integration


async def accepted_application(api: httpx.AsyncClient, make_cohort: CohortFactory) -> str:
    cohort = await make_cohort()
    app_id: str = (await submit(api, submission(cohort, 1)))["application_id"]
    decided = await api.post(
        f"/applications/{app_id}/decision",
        json={"outcome": "accepted", "reason": "committee", "rank": 3},
        headers=bearer(ADMIN),
    )
    assert decided.status_code == 200, decided.text
    return app_id


async def deliver(pool: asyncpg.Pool, name: str, app_id: str, status: str) -> None:
    change = EnrollmentChanged(
        enrollment_id="enr-1",
        application_id=app_id,
        program_code="cyber-valley-batch",
        cohort_code="cv-x1",
        startup_name="Startup 1",
        status=status,
        seats=2,
        seats_taken=2,
        rank=3,
        reason="seat freed" if name == "enrollment.promoted" else None,
    )
    event = CloudEvent.new(
        type=contract(name).type, source="/services/programs", subject=app_id, data=change
    )
    await handle_in_transaction(pool, follow_enrollment(name), event, change)


async def statuses(api: httpx.AsyncClient, app_id: str) -> list[str]:
    detail = (await api.get(f"/applications/{app_id}", headers=bearer(ADMIN))).json()
    return [h["to_status"] for h in detail["history"]]


async def test_the_reserve_is_waitlisted_promoted_signs_and_can_be_cancelled(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    app_id = await accepted_application(api, make_cohort)
    await deliver(applications_pool, "enrollment.waitlisted", app_id, "waitlisted")
    await deliver(applications_pool, "enrollment.waitlisted", app_id, "waitlisted")  # a repeat
    await deliver(applications_pool, "enrollment.promoted", app_id, "confirmed")
    await deliver(applications_pool, "enrollment.agreement_signed", app_id, "confirmed")
    await deliver(applications_pool, "enrollment.cancelled", app_id, "cancelled")
    assert await statuses(api, app_id) == [
        "received",
        "accepted",
        "waitlisted",
        "enrolled",
        "agreement_signed",
        "cancelled",
    ]
    detail = (await api.get(f"/applications/{app_id}", headers=bearer(ADMIN))).json()
    assert detail["history"][3]["reason"] == "enrollment promoted: seat freed"
    assert detail["history"][3]["actor"] == "programs"
    # Nothing follows a cancellation: a late confirmation is a dead letter with the reason.
    with pytest.raises(RejectedEvent, match="cancelled cannot become enrolled"):
        await deliver(applications_pool, "enrollment.confirmed", app_id, "confirmed")


async def test_the_cancellation_a_withdrawal_causes_changes_nothing(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    app_id = await accepted_application(api, make_cohort)
    await deliver(applications_pool, "enrollment.confirmed", app_id, "confirmed")
    withdrawn = await api.post(
        f"/applications/{app_id}/withdrawal", json={"reason": "founder left"}, headers=bearer(ADMIN)
    )
    assert withdrawn.status_code == 200
    await deliver(applications_pool, "enrollment.cancelled", app_id, "cancelled")
    assert await statuses(api, app_id) == ["received", "accepted", "enrolled", "withdrawn"]


async def test_word_arriving_out_of_order_or_twice_is_no_dead_letter_and_no_history(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    app_id = await accepted_application(api, make_cohort)
    await deliver(applications_pool, "enrollment.promoted", app_id, "confirmed")
    await deliver(applications_pool, "enrollment.waitlisted", app_id, "waitlisted")  # late
    await deliver(applications_pool, "enrollment.agreement_signed", app_id, "confirmed")
    await deliver(applications_pool, "enrollment.confirmed", app_id, "confirmed")  # late
    await deliver(applications_pool, "enrollment.cancelled", app_id, "cancelled")
    await deliver(applications_pool, "enrollment.cancelled", app_id, "cancelled")  # twice
    assert await statuses(api, app_id) == [
        "received",
        "accepted",
        "enrolled",
        "agreement_signed",
        "cancelled",
    ]


@pytest.mark.parametrize("application_id", ["app-1", "00000000-0000-0000-0000-000000000000"])
async def test_word_about_an_application_we_never_issued_is_a_dead_letter_at_once(
    applications_pool: asyncpg.Pool, application_id: str
) -> None:
    with pytest.raises(RejectedEvent, match=f"no application {application_id}"):
        await deliver(applications_pool, "enrollment.confirmed", application_id, "confirmed")
