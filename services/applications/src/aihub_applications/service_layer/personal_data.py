"""Access requests (PIPA art. 35, GDPR art. 15): everything this service holds about a person
(their applications with the submission and consent as sent, history, reviews, appeals,
challenges, bonus grants, erasures)."""

from __future__ import annotations

import asyncpg

from aihub_applications.adapters import personal_data
from aihub_shared.contracts.privacy import PersonalDataHeld, PersonRef


async def export_person(pool: asyncpg.Pool, person: PersonRef) -> PersonalDataHeld:
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        ids = await personal_data.applications_named(
            conn, person.email, list(person.application_ids)
        )
        records = await personal_data.rows_about(conn, ids)
    return PersonalDataHeld(
        service="applications", application_ids=[str(i) for i in ids], records=records
    )
