"""Dead-letter alerts for ops: many dead letters, one summary per window. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aihub_notifications.domain.mails import DEAD_LETTERS_OPS, MailRequest
from aihub_shared.contracts.values import Contact

#: Longest detail quoted per group: the mail is a pointer to `aihub-dead-letters list`.
DETAIL_CHARS = 300


@dataclass(frozen=True)
class DeadLetterSeen:
    id: int
    dlq_topic: str
    origin_topic: str
    reason: str
    detail: str
    consumer: str


def summarise(dead_letters: Sequence[DeadLetterSeen]) -> list[dict[str, object]]:
    """Count per (dead-letter topic, reason, consumer), most frequent first, with one detail as
    an example."""
    groups: dict[tuple[str, str, str], list[DeadLetterSeen]] = {}
    for letter in dead_letters:
        groups.setdefault((letter.dlq_topic, letter.reason, letter.consumer), []).append(letter)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [
        {
            "dlq_topic": topic,
            "reason": reason,
            "consumer": consumer,
            "count": len(letters),
            "example": letters[-1].detail[:DETAIL_CHARS],
        }
        for (topic, reason, consumer), letters in ordered
    ]


def alert_mails(
    recipients: Sequence[Contact], dead_letters: Sequence[DeadLetterSeen]
) -> list[MailRequest]:
    """One alert per ops recipient for all the dead letters given (one window's worth)."""
    if not dead_letters:
        return []
    groups = summarise(dead_letters)
    context = {
        "total": len(dead_letters),
        "groups": groups,
        "topics": sorted({str(g["dlq_topic"]) for g in groups}),
        "first_id": min(d.id for d in dead_letters),
        "last_id": max(d.id for d in dead_letters),
    }
    return [
        MailRequest(DEAD_LETTERS_OPS, r, {**context, "recipient_name": r.name}) for r in recipients
    ]
