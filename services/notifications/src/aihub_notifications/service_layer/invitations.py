"""Reviewers are invited, not administered: a manager names a reviewer (`review.assigned`), and
whoever has no account yet gets one, with Keycloak's invitation mail (set a password, verify the
address).

Why here: notifications already consumes `review.assigned`, owns staff mail and the staff
directory, and has the outbox-style machinery for "a side effect outside our database, retried
until it happened". The handler only writes a row per person (in the event's transaction, so
a replay changes nothing and a person named twice has one row); `InvitationSender` then calls
Keycloak, retrying with backoff for as long as Keycloak is down — delayed, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
import structlog

from aihub_notifications.adapters import invitations
from aihub_notifications.adapters.keycloak_accounts import IdentityProviderRefused, KeycloakAccounts
from aihub_shared.runtime.db import DbConnection

log = structlog.get_logger(__name__)


async def invite_reviewer(conn: DbConnection, *, email: str, name: str, event_id: str) -> None:
    await invitations.request_invitation(conn, email=email, name=name, event_id=event_id)


@dataclass(frozen=True)
class InvitationConfig:
    poll_interval_seconds: float = 2.0
    retry_base_seconds: float = 10.0
    retry_max_seconds: float = 600.0
    batch_size: int = 20
    #: Longer than a Keycloak call can take: an instance that crashed mid-call frees the row.
    lease_seconds: float = 120.0


class InvitationSender:
    """A `BackgroundWorker`: hands due invitations to Keycloak."""

    def __init__(
        self, pool: asyncpg.Pool, accounts: KeycloakAccounts, config: InvitationConfig
    ) -> None:
        self._pool = pool
        self._accounts = accounts
        self._config = config
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        """Handle the invitations due now; how many were done (invited or had an account)."""
        due = await invitations.claim_due(
            self._pool, limit=self._config.batch_size, lease_seconds=self._config.lease_seconds
        )
        done = 0
        for invitation in due:
            try:
                outcome = await self._accounts.invite(invitation.email, invitation.name)
            except IdentityProviderRefused as exc:
                delay = min(
                    self._config.retry_base_seconds * 2**invitation.attempts,
                    self._config.retry_max_seconds,
                )
                log.warning(
                    "invitation postponed", attempts=invitation.attempts + 1, error=str(exc)
                )
                await invitations.postpone(
                    self._pool, invitation.email, delay_seconds=delay, error=str(exc)
                )
                continue
            await invitations.mark_done(self._pool, invitation.email, outcome.value)
            log.info("reviewer invitation", outcome=outcome.value)
            done += 1
        return done

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except (OSError, asyncpg.PostgresError) as exc:  # the database is away: try again
                log.warning("invitation round failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=self._config.poll_interval_seconds
                )

    async def stop(self) -> None:
        self._stopping.set()
        await self._accounts.close()
