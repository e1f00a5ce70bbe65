"""The mail to a reviewer who replaces one who declared a conflict of interest, end to end
(handler on the real Postgres, sender, real SMTP server): it never names the reviewer who stepped
aside — applications hides them from the replacement too — and a reviewer the staff directory
does not know still learns, in Korean, which startup, program, stage and deadline it is about."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import asyncpg
import pytest

from aihub_local.faulty_smtp import FaultySmtp
from aihub_local.testing import handle_in_transaction
from aihub_notifications.adapters import directory
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.console_links import ConsoleLinks
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.applications import ReviewAssigned, ReviewerRef
from services.notifications.tests.support import (
    PROGRAM_EN,
    PROGRAM_KO,
    STARTUP,
    cohort_published,
    event,
    make_sender,
    one_batch,
)

pytestmark = pytest.mark.integration

RECUSED = ReviewerRef(id="Recused.Kang@hub.example.com", name="강이해")
KNOWN = ReviewerRef(id="known.reviewer@hub.example.com", name="Known Reviewer")
UNKNOWN = ReviewerRef(id="outside.expert@partner.example.com", name="외부심사위원")
DUE = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)  # 18:00 in Seoul


def replacement(reviewer: ReviewerRef, due: datetime | None) -> ReviewAssigned:
    return ReviewAssigned(
        application_id="app-7",
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name=STARTUP,
        stage_code="document-review",
        reviewer=reviewer,
        replaces=RECUSED,
        due_at=due,
    )


def everything_in(message: EmailMessage) -> str:
    """Every header (decoded) and every part's decoded content, plus the raw bytes."""
    texts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            texts.extend(f"{name}: {value}" for name, value in part.items())
            texts.append(str(part.get_content()))
    texts.append(message.as_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


async def test_a_replacement_reviewer_is_never_told_who_stepped_aside(
    db: asyncpg.Pool, renderer: MailRenderer, notifications_dsn: str, smtp: FaultySmtp
) -> None:
    published = cohort_published()
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", published), published
    )
    async with db.acquire() as conn:
        await directory.upsert_staff(
            conn, email=str(KNOWN.id), name=KNOWN.name, locale="en", role="reviewer", active=True
        )
    handler = lifecycle_handlers(renderer)["review.assigned"]
    for data in (replacement(KNOWN, None), replacement(UNKNOWN, DUE)):
        await handle_in_transaction(db, handler, event("review.assigned", data), data)

    # What is stored (previews, resends) names nobody but the recipient.
    stored = await db.fetch("SELECT * FROM deliveries ORDER BY recipient")
    assert [r["recipient"] for r in stored] == [str(KNOWN.id), str(UNKNOWN.id)]
    for row in stored:
        text = "\n".join(str(v) for v in dict(row).values())
        assert RECUSED.name not in text
        assert str(RECUSED.id).lower() not in text.lower()

    assert (await one_batch(make_sender(db, notifications_dsn, smtp.host, smtp.port))).sent == 2
    by_recipient = {str(m["To"]).rsplit("<", 1)[-1].rstrip(">"): m for m in smtp.received}
    assert set(by_recipient) == {str(KNOWN.id), str(UNKNOWN.id)}
    for message in smtp.received:
        seen = everything_in(message)
        assert RECUSED.name not in seen
        assert str(RECUSED.id).lower() not in seen.lower()
        assert "recused" not in seen.lower()

    # The replacement still learns it was reassigned to them — without a name.
    known = by_recipient[str(KNOWN.id)]
    assert known["Content-Language"] == "en"
    assert "reassigned to you from the reviewer pool" in everything_in(known)
    assert STARTUP in str(known["Subject"])
    assert PROGRAM_EN in str(known["Subject"])

    # Unknown to the directory: Korean, and the subject and body still say which startup,
    # program and stage, the body by when.
    unknown = by_recipient[str(UNKNOWN.id)]
    assert unknown["Content-Language"] == "ko"
    subject = str(unknown["Subject"])
    for needed in (STARTUP, PROGRAM_KO, "서류평가"):  # the stage by its name, not its code
        assert needed in subject
    assert "document-review" not in subject
    for part in unknown.walk():
        if not part.is_multipart():
            body = str(part.get_content())
            for needed in (STARTUP, PROGRAM_KO, "서류평가", "2027-02-15 18:00 KST"):
                assert needed in body, (needed, part.get_content_type())
            assert "document-review" not in body
            assert "외부심사위원님" in body  # greeted by the name assignment gave


async def test_the_reviewer_mail_leads_to_the_scoring_page(
    db: asyncpg.Pool, notifications_dsn: str, smtp: FaultySmtp
) -> None:
    """As the SMTP server receives it, in both parts and both languages: the scoring page of
    exactly this application, on the console `CONSOLE_BASE_URL` names."""
    renderer = MailRenderer(links=ConsoleLinks("https://console.hub.example"))
    published = cohort_published()
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", published), published
    )
    async with db.acquire() as conn:
        await directory.upsert_staff(
            conn, email=str(KNOWN.id), name=KNOWN.name, locale="en", role="reviewer", active=True
        )
    handler = lifecycle_handlers(renderer)["review.assigned"]
    for data in (replacement(KNOWN, None), replacement(UNKNOWN, DUE)):
        await handle_in_transaction(db, handler, event("review.assigned", data), data)

    assert (await one_batch(make_sender(db, notifications_dsn, smtp.host, smtp.port))).sent == 2
    assert {str(m["Content-Language"]) for m in smtp.received} == {"ko", "en"}
    for message in smtp.received:
        html = message.get_body(("html",))
        text = message.get_body(("plain",))
        assert html is not None
        assert text is not None
        assert 'href="https://console.hub.example/reviews/app-7"' in str(html.get_content())
        assert "https://console.hub.example/reviews/app-7" in str(text.get_content()).split()
