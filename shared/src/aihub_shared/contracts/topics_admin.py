"""Create the platform's topics on a broker: used by the local launcher and compose's topic-init."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from aihub_shared.contracts.topics import ALL_TOPICS, TopicSpec
from aihub_shared.runtime.kafka_client import KafkaConnection


async def ensure_topics(
    kafka: KafkaConnection, specs: Sequence[TopicSpec] = ALL_TOPICS, *, wait_seconds: float = 60
) -> list[str]:
    """Create the topics that do not exist yet and bring the settings of the others up to the
    spec; returns the names created now."""
    admin = AIOKafkaAdminClient(**kafka.aiokafka_options(), client_id="aihub-topic-init")
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((KafkaConnectionError, OSError)),
        stop=stop_after_delay(wait_seconds),
        wait=wait_fixed(1),
        reraise=True,
    ):
        with attempt:
            await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            # Another instance may create them meanwhile.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            name=s.name,
                            num_partitions=s.partitions,
                            replication_factor=1,
                            topic_configs=dict(s.config),
                        )
                        for s in missing
                    ]
                )
        # Topics made by an earlier version get today's settings (AlterConfigs sets the whole
        # dynamic config of each topic, which the spec states in full).
        present = [s for s in specs if s.name in existing and s.config]
        if present:
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, s.name, dict(s.config)) for s in present]
            )
        # Metadata spreads asynchronously; wait until the broker lists them all.
        for _ in range(50):
            if {s.name for s in specs} <= set(await admin.list_topics()):
                break
            await asyncio.sleep(0.2)
        return [s.name for s in missing]
    finally:
        await admin.close()
