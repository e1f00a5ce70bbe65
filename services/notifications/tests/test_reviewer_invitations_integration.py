"""Reviewer invitations on the real Keycloak, Postgres and SMTP capture: a reviewer named twice
gets one invitation mail, a Keycloak outage delays it without losing it, and the link in the
mail lets them set a password and sign in."""

from __future__ import annotations

import html
import mailbox
import re
import uuid

import asyncpg
import httpx
import pytest

from aihub_local.stack import StackEndpoints
from aihub_local.staff_accounts import invitations_client_secret
from aihub_local.testing import eventually, handle_in_transaction, keycloak_admin, mails_to
from aihub_notifications.adapters.keycloak_accounts import KeycloakAccounts, KeycloakAccountsConfig
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.service_layer.invitations import InvitationConfig, InvitationSender
from aihub_notifications.service_layer.lifecycle import lifecycle_handlers
from aihub_notifications.service_layer.replicas import replicate_cohort
from aihub_shared.contracts.applications import ReviewAssigned, ReviewerRef
from aihub_shared.runtime.oidc import OidcSettings, OidcVerifier
from services.notifications.tests.support import STARTUP, cohort_published, event

pytestmark = pytest.mark.integration

FAST = InvitationConfig(retry_base_seconds=0.05, retry_max_seconds=0.2, lease_seconds=30)


def assignment(reviewer: ReviewerRef, application_id: str) -> ReviewAssigned:
    return ReviewAssigned(
        application_id=application_id,
        program_code="cyber-valley",
        cohort_code="cv-2027-1",
        startup_name=STARTUP,
        stage_code="document-review",
        reviewer=reviewer,
    )


def accounts(endpoints: StackEndpoints, base_url: str | None = None) -> KeycloakAccounts:
    return KeycloakAccounts(
        KeycloakAccountsConfig(
            base_url=base_url or endpoints.keycloak_url,
            realm="aihub",
            client_id="aihub-invitations",
            client_secret=invitations_client_secret(endpoints),
        )
    )


async def name_reviewer(db: asyncpg.Pool, renderer: MailRenderer, reviewer: ReviewerRef) -> None:
    """The reviewer is named for two applications (two `review.assigned`)."""
    published = cohort_published()
    await handle_in_transaction(
        db, replicate_cohort, event("cohort.published", published), published
    )
    handler = lifecycle_handlers(renderer)["review.assigned"]
    for application_id in ("app-1", "app-2"):
        data = assignment(reviewer, application_id)
        await handle_in_transaction(db, handler, event("review.assigned", data), data)


async def test_named_twice_invited_once_after_an_outage_and_the_link_sets_a_password(
    db: asyncpg.Pool, renderer: MailRenderer, local_stack: StackEndpoints
) -> None:
    email = f"invitee-{uuid.uuid4().hex[:8]}@partner.example.com"
    await name_reviewer(db, renderer, ReviewerRef(id=email.upper(), name="외부 심사위원"))
    rows = await db.fetch("SELECT email, state FROM reviewer_invitations")
    assert [(r["email"], r["state"]) for r in rows] == [(email, "pending")]

    # Keycloak unreachable: the invitation waits, with the reason; nothing is lost.
    down = InvitationSender(db, accounts(local_stack, "http://127.0.0.1:9"), FAST)
    assert await down.run_once() == 0
    row = await db.fetchrow("SELECT * FROM reviewer_invitations WHERE email = $1", email)
    assert row is not None
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "sign-in of aihub-invitations" in row["last_error"]
    await down.stop()

    sender = InvitationSender(db, accounts(local_stack), FAST)

    async def invited() -> bool:
        await sender.run_once()
        state = await db.fetchval("SELECT state FROM reviewer_invitations WHERE email = $1", email)
        return bool(state == "invited")

    await eventually(invited, within=30, what="the invitation once Keycloak answers")
    # Named again later: still one row, nothing more to do.
    await name_reviewer(db, renderer, ReviewerRef(id=email, name="외부 심사위원"))
    assert await sender.run_once() == 0
    await sender.stop()

    async def mailed() -> list[mailbox.MaildirMessage] | None:
        return mails_to(local_stack.mail_dir, email) or None

    (mail, *more) = await eventually(mailed, within=30, what="Keycloak's invitation mail")
    assert more == []
    password = "a-new-password-of-mine"  # noqa: S105 - the test reviewer's choice
    await set_password_through_the_link(mail_text(mail), password)

    # The new account signs in (no realm role: a reviewer, by their assignments).
    answer = keycloak_admin().password_grant(email, password)
    assert answer.status_code == 200, answer.text
    verifier = OidcVerifier(
        OidcSettings.model_validate({"OIDC_ISSUER_URL": local_stack.oidc_issuer_url})
    )
    identity = await verifier.verify(answer.json()["access_token"])
    assert (identity.id, identity.global_role) == (email, None)
    await verifier.jwks.close()
    assert len(mails_to(local_stack.mail_dir, email)) == 1


def mail_text(mail: mailbox.MaildirMessage) -> str:
    parts = [p for p in mail.walk() if not p.is_multipart()]
    return "\n".join(
        (p.get_payload(decode=True) or b"").decode("utf-8", "replace")  # type: ignore[union-attr]
        for p in parts
    )


async def browse(
    browser: httpx.AsyncClient, method: str, url: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """One navigation as a browser makes it: redirects followed, Keycloak's cookies sent each
    time. (They are marked Secure; a browser sends them to http://127.0.0.1, a potentially
    trustworthy origin, httpx only over https.)"""
    for _ in range(10):
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
        response = await browser.request(
            method, html.unescape(url), data=data, headers={"Cookie": cookies}
        )
        if not response.is_redirect:
            return response
        url, method, data = str(response.next_request.url), "GET", None  # type: ignore[union-attr]
    raise AssertionError(f"too many redirects from {url}")


async def set_password_through_the_link(text: str, password: str) -> None:
    """What the reviewer does in the browser: open the link, proceed, choose a password."""
    link = re.search(r"https?://[^\s\"<>]+/login-actions/action-token\?key=[^\s\"<>]+", text)
    assert link, text[:2000]
    async with httpx.AsyncClient(timeout=15) as browser:
        page = await browse(browser, "GET", link.group(0))
        # The realm speaks Korean first: find the "proceed" link by where it is, not its words.
        proceed = re.search(r'id="kc-info-message">.*?<a href="([^"]+)"', page.text, re.S)
        if proceed:
            page = await browse(browser, "GET", proceed.group(1))
        form = re.search(r'<form[^>]+action="([^"]+)"', page.text)
        assert form, page.text[:3000]
        assert "password-new" in page.text
        done = await browse(
            browser, "POST", form.group(1), {"password-new": password, "password-confirm": password}
        )
        assert done.status_code == 200, done.text[:2000]
