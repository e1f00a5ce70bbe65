"""Helpers for tests on the real infrastructure, shared by every test folder."""

from __future__ import annotations

import asyncio
import mailbox
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from aihub_local.keycloak_admin import KeycloakAdmin
from aihub_local.stack import StackEndpoints
from aihub_local.staff_accounts import TokenCache
from aihub_shared.contracts.values import business_registration_check_digit
from aihub_shared.runtime import kafka_client
from aihub_shared.runtime.kafka_client import KafkaConnection

T = TypeVar("T")
#: Record positions never repeat, not even across test sessions on a warm stack: the inbox keys
#: refusals and dead letters by position, so a repeated one would read as a duplicate.
_offsets = count(time.time_ns() // 1000)


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    within: float = 60.0,
    what: str = "condition",
    interval: float = 0.1,
) -> T:
    """Poll until `probe` returns something truthy; fail naming `what` after `within` seconds.

    For outcomes that arrive asynchronously; `within` bounds a wait, it is not a speed check."""
    deadline = asyncio.get_running_loop().time() + within
    last: T | None = None
    while asyncio.get_running_loop().time() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


def consumer_record(
    topic: str,
    value: bytes | None,
    *,
    key: bytes = b"",
    headers: Sequence[tuple[str, bytes]] = (),
    partition: int = 0,
) -> ConsumerRecord:
    """A record as aiokafka hands it to a consumer, each at a new offset."""
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=next(_offsets),
        timestamp=int(datetime.now(UTC).timestamp() * 1000),
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value or b""),
        headers=list(headers),
    )


async def publish(
    kafka: KafkaConnection,
    topic: str,
    messages: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]],
) -> None:
    """Send (key, value, headers) messages to the real broker, each acknowledged by it."""
    producer = AIOKafkaProducer(**kafka.aiokafka_options(), acks="all")
    await kafka_client.start(producer)
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def read_until(
    kafka: KafkaConnection,
    topic: str,
    match: Callable[[ConsumerRecord], bool],
    *,
    count: int,
    within: float = 60.0,
) -> list[ConsumerRecord]:
    """Every matching record on the topic from the beginning, once `count` have been seen."""
    # No group: the consumer takes every partition and reads from the start, committing nothing.
    consumer = AIOKafkaConsumer(
        topic, **kafka.aiokafka_options(), auto_offset_reset="earliest", enable_auto_commit=False
    )
    found: list[ConsumerRecord] = []
    try:
        await consumer.start()
        async with asyncio.timeout(within):
            while len(found) < count:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    found.extend(r for r in records if match(r))
    except TimeoutError as exc:
        raise AssertionError(f"saw {len(found)} of {count} matching records on {topic}") from exc
    finally:
        await consumer.stop()
    return found


def header(record: ConsumerRecord, name: str) -> str | None:
    """A record's header as text (undecodable bytes replaced); None when it has no such header."""
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode(errors="replace")
    return None


def valid_brn(first_nine: int) -> str:
    """A valid 사업자등록번호: the nine digits of `first_nine` (mod 10**9), then the check digit."""
    head = f"{first_nine % 10**9:09d}"
    return head + business_registration_check_digit(head)


async def handle_in_transaction(
    pool: asyncpg.Pool, handler: Callable[..., Awaitable[None]], event: Any, data: Any
) -> None:
    """Run a consumer's event handler as the consumer does: in one transaction of its own."""
    async with pool.acquire() as conn, conn.transaction():
        await handler(conn, event, data)


async def scratch_database_url(endpoints: StackEndpoints, role: str) -> str:
    """A login role with a schema of its own, shaped like a service's: tests of the kit or of a
    service's adapters use it so that the running services never race them for rows."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{2,40}_test", role):
        raise ValueError(f"scratch roles are named like `kit_test`, not {role!r}")
    admin = await asyncpg.connect(endpoints.postgres_admin_dsn)
    try:
        await admin.execute(
            f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {role} LOGIN PASSWORD '{role}';
                END IF;
            END $$;
            CREATE SCHEMA IF NOT EXISTS {role} AUTHORIZATION {role};
            ALTER ROLE {role} SET search_path = {role};
            GRANT CONNECT ON DATABASE {endpoints.postgres_database} TO {role};
            """
        )
    finally:
        await admin.close()
    return (
        f"postgresql://{role}:{role}@{endpoints.postgres_host}:{endpoints.postgres_port}/"
        f"{endpoints.postgres_database}"
    )


#: Kafka login variables for a service's settings in tests that never start its broker (in-process
#: API tests, the mail sender alone): the settings require a login, these tests need none.
UNUSED_KAFKA_LOGIN = {"KAFKA_USERNAME": "unused", "KAFKA_PASSWORD": "unused"}


def mails_to(mail_dir: Path, address: str) -> list[mailbox.MaildirMessage]:
    """The mails the SMTP capture holds for `address` (in their To header)."""
    box = mailbox.Maildir(mail_dir, create=False)
    return [m for m in box if address in (m.get("To") or "")]


# -- staff tokens from the test stack's Keycloak ------------------------------------------------

_token_cache: TokenCache | None = None


def use_stack_for_tokens(endpoints: StackEndpoints) -> None:
    """Called by the `local_stack` fixture: tokens come from this stack's Keycloak."""
    global _token_cache
    if _token_cache is None or _token_cache.endpoints != endpoints:
        _token_cache = TokenCache(endpoints)


def _tokens() -> TokenCache:
    if _token_cache is None:
        raise RuntimeError("staff tokens need the running test stack: use the local_stack fixture")
    return _token_cache


def staff_token(email: str, roles: tuple[str, ...] = (), name: str = "") -> str:
    """A real access token (password grant) of a test account, created in Keycloak if new, with
    exactly these realm roles (`admin`, `ops`); cached until shortly before it expires."""
    return _tokens().token(email, roles, name)


def oidc_issuer_url() -> str:
    return _tokens().endpoints.oidc_issuer_url


def keycloak_admin() -> KeycloakAdmin:
    """The test realm's admin API (to disable a user, rotate keys, read invitations)."""
    return _tokens().admin


def forget_tokens(email: str) -> None:
    _tokens().forget(email)


@dataclass(frozen=True)
class StaffAccount:
    """A staff member of the test realm. Only admin and ops are token roles; a program manager
    is whoever the catalog lists, a reviewer whoever is assigned."""

    email: str
    roles: tuple[str, ...] = ()
    name: str = ""

    def token(self) -> str:
        return staff_token(self.email, self.roles, self.name)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}


class StaffHeaders(Mapping[str, str]):
    """`headers=` for an HTTP client that signs in when a request is sent, not at import time
    (module constants of the tests are built before the stack runs)."""

    def __init__(self, account: StaffAccount) -> None:
        self.account = account

    def __getitem__(self, key: str) -> str:
        if key != "Authorization":
            raise KeyError(key)
        return f"Bearer {self.account.token()}"

    def __iter__(self) -> Iterator[str]:
        return iter(("Authorization",))

    def __len__(self) -> int:
        return 1
