"""How every service anonymises a person's data, so that their copies stay consistent.

A business registration number becomes its SHA-256 (`sha256:<hex>`), so that a duplicate in a
cohort is still found and the hub's outcomes still count one company once. The number is not a
secret (Korea's tax service lets anyone look a number up, and it is printed on every invoice): the
hash removes it from our tables (data minimisation), it does not claim to hide it from someone
who already has it. An e-mail address travels between services only as its SHA-256 (lower-cased).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from aihub_shared.runtime.db import DbConnection

#: What replaces a name or a free text.
ERASED = "(erased)"
HASHED_BRN_PREFIX = "sha256:"


def hashed_brn(number: str) -> str:
    """The stored form of an erased registration number; hashing twice changes nothing."""
    if number.startswith(HASHED_BRN_PREFIX):
        return number
    return HASHED_BRN_PREFIX + hashlib.sha256(number.encode()).hexdigest()


def email_sha256(address: str) -> str:
    """How `person.erased` names an address: the SHA-256 of its lower-cased form."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


#: Stands in for an erased address. `.example` is reserved (RFC 2606) and, unlike `.invalid`,
#: passes address validation, so a replica row stays a valid contact; nobody mails it (see
#: notifications' `mailing.queue_requests`).
ERASED_DOMAIN = "erased.example"


def erased_address(key: str) -> str:
    return f"erased-{key}@{ERASED_DOMAIN}"


def is_erased_address(address: str) -> bool:
    return address.lower().endswith("@" + ERASED_DOMAIN)


def containing(texts: Sequence[str]) -> list[str]:
    """LIKE patterns matching a text that contains any of `texts` (taken literally)."""
    escaped = (t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for t in texts)
    return [f"%{t}%" for t in escaped]


async def forget_published_events(conn: DbConnection, mentions: Sequence[str]) -> int:
    """Delete the published outbox rows that mention any of `mentions` (application ids, an
    address): the relay keeps published rows a few days for operators, an erasure need not wait.
    Rows not yet published stay: they must still reach Kafka, whose retention bounds them."""
    if not mentions:
        return 0
    # Compared as bytes: a dead letter keeps the publisher's bytes, which need not be UTF-8.
    status = await conn.execute(
        "DELETE FROM outbox WHERE published_at IS NOT NULL AND EXISTS (SELECT 1"
        " FROM unnest($1::text[]) AS m WHERE position(convert_to(m, 'UTF8') IN value) > 0)",
        sorted({*mentions, *(m.lower() for m in mentions)}),
    )
    return int(status.split()[-1])
