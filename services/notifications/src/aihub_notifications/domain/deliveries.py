"""Deliveries: one e-mail for one recipient because of one event. Pure rules, no I/O.

A delivery's identity is derived from what caused it — the event id, the recipient address and the
template — so a redelivered event, a retried transaction or a second replica computes the same id
and the database keeps the first row only: exactly one e-mail per (event, recipient, template).
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Literal

DeliveryStatus = Literal["pending", "sent", "failed"]

#: uuid5(NAMESPACE_URL, "https://seoulaihub.kr/notifications/deliveries"). Fixed forever: changing
#: it would give old events new delivery ids, and their recipients second e-mails.
DELIVERY_NAMESPACE = uuid.UUID("75ade303-d290-595a-addd-e6f78e1fcc68")

MESSAGE_ID_DOMAIN = "notifications.seoulaihub.kr"


def recipient_key(address: str) -> str:
    """The address as compared for uniqueness: `Kim@Example.com` and `kim@example.com` are one
    person (the local part is case-sensitive only in theory; no real mailbox relies on it)."""
    return address.strip().lower()


def delivery_id(event_id: str, recipient: str, template: str) -> uuid.UUID:
    """uuid5 of the triple; JSON keeps the parts unambiguous whatever characters they hold."""
    name = json.dumps([event_id, recipient_key(recipient), template], ensure_ascii=False)
    return uuid.uuid5(DELIVERY_NAMESPACE, name)


def message_id(delivery: uuid.UUID) -> str:
    """The Message-ID header: stable across retries, so a mail client can drop a resend."""
    return f"<{delivery}@{MESSAGE_ID_DOMAIN}>"


def retry_delay(attempts: int, *, base_seconds: float, max_seconds: float) -> float:
    """Capped exponential backoff after the `attempts`-th failed attempt (1 → base)."""
    if attempts < 1:
        return 0.0
    # Cap the exponent first: 2**attempts overflows a float after ~1000 attempts.
    return float(min(max_seconds, base_seconds * 2 ** min(attempts - 1, 62)))


def single_line(text: str) -> str:
    """Whitespace of any kind (CR, LF, tabs, U+2028 …) collapsed to one space, other control
    characters dropped: what may go into a header or a subject line."""
    kept = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(kept.split())
