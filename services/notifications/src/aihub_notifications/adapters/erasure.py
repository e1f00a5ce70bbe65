"""SQL for erasing a person from this schema: the applicant replica and the e-mails to them or
about them. Delivery rows stay (template, status, times: the counts), their content goes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aihub_shared.privacy import ERASED, ERASED_DOMAIN, containing
from aihub_shared.runtime.db import DbConnection

#: Shorter names would blank unrelated mails that happen to contain them.
_MIN_NAME_LENGTH = 3


async def person_of(
    conn: DbConnection, application_ids: Sequence[str], email_sha256: str | None
) -> tuple[list[str], list[str]]:
    """The person's addresses (their applications' contact, any recipient whose address hashes
    to `email_sha256`) and the names that identify them (contact and startup)."""
    rows = await conn.fetch(
        "SELECT lower(contact_email) AS email, contact_name, startup_name FROM applicants"
        " WHERE application_id = ANY($1::text[]) AND erased_at IS NULL FOR UPDATE",
        list(application_ids),
    )
    addresses = {row["email"] for row in rows}
    if email_sha256 is not None:
        found = await conn.fetch(
            "SELECT DISTINCT lower(recipient) AS email FROM deliveries"
            " WHERE encode(sha256(convert_to(lower(recipient), 'UTF8')), 'hex') = $1",
            email_sha256,
        )
        addresses |= {row["email"] for row in found}
    names = {row[k] for row in rows for k in ("contact_name", "startup_name")}
    return sorted(addresses), sorted(n for n in names if len(n) >= _MIN_NAME_LENGTH)


async def erase(
    conn: DbConnection,
    application_ids: Sequence[str],
    addresses: Sequence[str],
    names: Sequence[str],
) -> dict[str, int]:
    to_person = await conn.fetch(
        "UPDATE deliveries SET recipient = 'erased-' || id || '@' || $2::text,"
        " recipient_name = $3::text, subject = $3::text, body_text = '', body_html = '',"
        " message = NULL, last_error = NULL,"
        # A mail not sent yet never will be: its content is gone.
        " failed_at = CASE WHEN status = 'pending' THEN now() ELSE failed_at END,"
        " status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,"
        " updated_at = now()"
        " WHERE lower(recipient) = ANY($1::text[]) RETURNING id",
        list(addresses),
        ERASED_DOMAIN,
        ERASED,
    )
    about_person = await conn.fetch(
        "UPDATE deliveries SET subject = $2::text, body_text = '', body_html = '',"
        " message = NULL, updated_at = now()"
        " WHERE body_text <> ''"
        " AND (body_text LIKE ANY($1::text[]) OR subject LIKE ANY($1::text[]))"
        " RETURNING id",
        containing([*application_ids, *names, *addresses]),
        ERASED,
    )
    touched = [row["id"] for row in [*to_person, *about_person]]
    await conn.execute(
        "UPDATE delivery_attempts SET error = NULL"
        " WHERE delivery_id = ANY($1) AND error IS NOT NULL",
        touched,
    )
    # An application whose `application.received` has not arrived yet gets its erased row now:
    # stamped at the end of time, no later replication overwrites it (`upsert_applicants` keeps
    # the newer state), and its arrival mails nobody (`erased_among`).
    applicants = await conn.execute(
        "INSERT INTO applicants AS a (application_id, program_code, cohort_code, startup_name,"
        " contact_name, contact_email, contact_locale, event_id, event_time, erased_at)"
        " SELECT id, '', '', $2::text, $2::text, 'erased-' || id || '@' || $3::text, 'ko',"
        "   'erased', 'infinity', now() FROM unnest($1::text[]) AS id"
        " ON CONFLICT (application_id) DO UPDATE SET startup_name = $2::text,"
        " contact_name = $2::text,"
        " contact_email = 'erased-' || a.application_id || '@' || $3::text,"
        " event_time = 'infinity', erased_at = coalesce(a.erased_at, now()), updated_at = now()",
        list(application_ids),
        ERASED,
        ERASED_DOMAIN,
    )
    return {
        "applicants": int(applicants.split()[-1]),
        "mails_to_person": len(to_person),
        "mails_about_person": len(about_person),
    }


async def rows_about(
    conn: DbConnection, application_ids: Sequence[str], addresses: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """An access request: the applicant replica and every mail to the person, with attempts."""
    applicants = await conn.fetch(
        "SELECT * FROM applicants WHERE application_id = ANY($1::text[])", list(application_ids)
    )
    every_address = sorted({*addresses, *(r["contact_email"].lower() for r in applicants)})
    deliveries = await conn.fetch(
        "SELECT * FROM deliveries WHERE lower(recipient) = ANY($1::text[]) ORDER BY created_at",
        every_address,
    )
    attempts = await conn.fetch(
        "SELECT * FROM delivery_attempts WHERE delivery_id = ANY($1) ORDER BY id",
        [r["id"] for r in deliveries],
    )
    return {
        "applicants": [dict(r) for r in applicants],
        # The built message only repeats the subject and bodies listed with it.
        "deliveries": [{k: v for k, v in r.items() if k != "message"} for r in deliveries],
        "delivery_attempts": [dict(r) for r in attempts],
    }


async def erased_among(conn: DbConnection, application_ids: Sequence[str]) -> set[str]:
    """Those of the applications whose person was erased here."""
    rows = await conn.fetch(
        "SELECT application_id FROM applicants"
        " WHERE application_id = ANY($1::text[]) AND erased_at IS NOT NULL",
        sorted(set(application_ids)),
    )
    return {row["application_id"] for row in rows}
