"""The launcher's broker lets each principal do exactly its row of the access table.

Every principal tries to write and to read every platform topic. A write that is allowed leaves
a probe record on that topic, so these tests run against a broker of their own, started and
secured by the same launcher code as every stack (the suite's running services never see the
probes).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from aihub_local.component import PortAllocator
from aihub_local.kafka import KafkaComponent
from aihub_local.testing import eventually
from aihub_shared.contracts.topics import ALL_TOPICS, INTAKE_RECEIPTS, PROGRAMS_CATALOG
from aihub_shared.contracts.topics_admin import ensure_topics
from aihub_shared.kafka_access.apply import apply_access
from aihub_shared.kafka_access.table import PORTAL, PRINCIPALS, TEST, Principal
from aihub_shared.runtime.kafka_client import KafkaConnection

pytestmark = pytest.mark.integration

TOPICS = [t.name for t in ALL_TOPICS]

Login = Callable[[str], KafkaConnection]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Login]:
    """A secured broker of its own with the access table applied; principal -> its login."""
    kafka = KafkaComponent(tmp_path_factory.mktemp("access-broker"), fixed_ports=False)
    record = kafka.ensure(None, PortAllocator())
    try:
        yield lambda principal: kafka.connection(record, principal)
    finally:
        kafka.stop(record)


TOPIC_AUTHORIZATION_FAILED = 29


async def writable(kafka: KafkaConnection, key: bytes) -> set[str]:
    """The topics this principal could append a probe record to."""
    producer = AIOKafkaProducer(**kafka.aiokafka_options(), acks="all", request_timeout_ms=10_000)
    await producer.start()
    allowed = set()
    try:
        for topic in TOPICS:
            try:
                await producer.send_and_wait(topic, b"access probe", key=key, partition=0)
            except TopicAuthorizationFailedError:
                continue
            allowed.add(topic)
    finally:
        await producer.stop()
    return allowed


async def described(kafka: KafkaConnection) -> set[str]:
    """The topics this principal may see at all (Describe, implied by Read and Write)."""
    admin = AIOKafkaAdminClient(**kafka.aiokafka_options())
    await admin.start()
    try:
        answers = await admin.describe_topics(TOPICS)
    finally:
        await admin.close()
    return {a["topic"] for a in answers if a["error_code"] != TOPIC_AUTHORIZATION_FAILED}


async def can_fetch(kafka: KafkaConnection, topic: str) -> bool:
    """True once a record of partition 0 arrives (the write phase left one on every topic);
    False when the broker refuses the fetch. No consumer group: nothing is committed."""
    consumer = AIOKafkaConsumer(**kafka.aiokafka_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        async with asyncio.timeout(30):
            while True:
                try:
                    batches = await consumer.getmany(partition, timeout_ms=500)
                except TopicAuthorizationFailedError:
                    return False
                if batches.get(partition):
                    return True
    finally:
        await consumer.stop()


async def readable(kafka: KafkaConnection) -> set[str]:
    visible = await described(kafka)
    return {topic for topic in visible if await can_fetch(kafka, topic)}


async def test_every_principal_reads_and_writes_exactly_its_row(
    broker: Login,
) -> None:
    await ensure_topics(broker("ops"))
    key = f"access-probe-{uuid.uuid4().hex[:8]}".encode()
    # The test principal first: its writes leave a record on every topic for the reads below.
    ordered = [TEST, *(p for p in PRINCIPALS if p is not TEST)]
    wrote = {p.name: await writable(broker(p.name), key) for p in ordered}
    read = {p.name: await readable(broker(p.name)) for p in ordered}
    assert wrote == {p.name: set(p.writes) for p in ordered}
    assert read == {p.name: set(p.reads) for p in ordered}


async def test_a_publisher_reads_receipts_only_in_its_own_consumer_groups(
    broker: Login,
) -> None:
    portal = broker(PORTAL.name)

    async def consume(group: str) -> None:
        consumer = AIOKafkaConsumer(
            INTAKE_RECEIPTS, **portal.aiokafka_options(), group_id=group, enable_auto_commit=False
        )
        try:  # a foreign group fails the start itself: stop closes what it opened
            await consumer.start()
            await consumer.getmany(timeout_ms=1000)
        finally:
            await consumer.stop()

    await consume("portal.receipts")
    for foreign in ("applications.intake", "notifications.dead-letters", "partner-x.receipts"):
        with pytest.raises(GroupAuthorizationFailedError):
            await consume(foreign)


async def test_a_client_without_the_right_password_cannot_connect(
    broker: Login, caplog: pytest.LogCaptureFixture
) -> None:
    anonymous = AIOKafkaProducer(
        bootstrap_servers=broker("admin").bootstrap_servers, request_timeout_ms=3000
    )
    with pytest.raises(KafkaError):
        await anonymous.start()
    await anonymous.stop()

    wrong = broker(PORTAL.name).as_principal(PORTAL.name, "not-the-password")
    impostor = AIOKafkaProducer(**wrong.aiokafka_options(), request_timeout_ms=3000)
    with pytest.raises(KafkaConnectionError):
        await impostor.start()
    await impostor.stop()
    # aiokafka reports the broker's answer in its log only, then gives up bootstrapping.
    assert "SaslAuthenticationFailed" in caplog.text


async def _writes(kafka: KafkaConnection, topic: str) -> bool:
    producer = AIOKafkaProducer(**kafka.aiokafka_options(), request_timeout_ms=10_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"access probe", key=b"access-probe", partition=0)
    except TopicAuthorizationFailedError:
        return False
    finally:
        await producer.stop()
    return True


async def test_add_publisher_creates_a_login_with_the_publishers_rights_only(
    broker: Login,
) -> None:
    name = f"partner-{uuid.uuid4().hex[:6]}"
    done = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "aihub-kafka-access"), "add-publisher", name],
        env={**os.environ, **broker("admin").environment()},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    password = done.stdout.split("password (shown once): ", 1)[1].strip()
    partner = broker("admin").as_principal(name, password)
    assert await _writes(partner, "intake.applications")
    assert not await _writes(partner, "applications.lifecycle")
    assert not await _writes(partner, "intake.applications.dlq")


def _grant(admin: KafkaConnection, principal: Principal, topic: str) -> None:
    client = AdminClient(dict(admin.librdkafka_config()))
    binding = AclBinding(
        ResourceType.TOPIC,
        topic,
        ResourcePatternType.LITERAL,
        principal.user,
        "*",
        AclOperation.WRITE,
        AclPermissionType.ALLOW,
    )
    for future in client.create_acls([binding]).values():
        future.result(timeout=30)


async def test_apply_revokes_what_the_table_does_not_grant(broker: Login) -> None:
    admin = broker("admin")
    portal = broker(PORTAL.name)
    _grant(admin, PORTAL, PROGRAMS_CATALOG)  # granted by hand, outside the table

    async def refused() -> bool:
        return not await _writes(portal, PROGRAMS_CATALOG)

    # ACL changes reach the authorizer through the metadata log: polled, not assumed.
    await eventually(lambda: _writes(portal, PROGRAMS_CATALOG), what="the extra grant in force")
    (applied,) = await asyncio.to_thread(
        apply_access, admin, [PORTAL], {PORTAL.name: portal.password.get_secret_value()}
    )
    assert applied.deleted == 1
    await eventually(refused, what="the extra grant revoked")
