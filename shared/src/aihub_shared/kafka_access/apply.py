"""Make the broker's SCRAM users and ACLs match the table (`table.py`), through the admin API.

confluent-kafka (librdkafka) is used here because aiokafka's admin client has no ACL or SCRAM
API. Applying is idempotent and reconciling: for each principal it is given, ACLs the table no
longer grants are deleted, so the broker holds exactly the table. Principals it is not given
(publishers added earlier with `add-publisher`) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from aihub_shared.kafka_access.table import Principal, platform_topics
from aihub_shared.runtime.kafka_client import KafkaConnection

SCRAM_ITERATIONS = 8192
_TIMEOUT = 30.0


def _binding(
    principal: Principal,
    kind: ResourceType,
    name: str,
    operation: AclOperation,
    pattern: ResourcePatternType = ResourcePatternType.LITERAL,
) -> AclBinding:
    return AclBinding(kind, name, pattern, principal.user, "*", operation, AclPermissionType.ALLOW)


def acl_bindings(principal: Principal) -> set[AclBinding]:
    """Every ACL the table grants `principal` (READ and WRITE imply DESCRIBE in Kafka)."""
    topic = ResourceType.TOPIC
    wanted = {_binding(principal, topic, t, AclOperation.READ) for t in principal.reads}
    wanted |= {_binding(principal, topic, t, AclOperation.WRITE) for t in principal.writes}
    wanted |= {
        _binding(principal, ResourceType.GROUP, g, AclOperation.READ, ResourcePatternType.PREFIXED)
        for g in principal.groups
    }
    if principal.manages_topics:
        wanted.add(_binding(principal, ResourceType.BROKER, "kafka-cluster", AclOperation.CREATE))
        for name in platform_topics():
            for operation in (
                AclOperation.DESCRIBE,
                AclOperation.DESCRIBE_CONFIGS,
                AclOperation.ALTER_CONFIGS,
            ):
                wanted.add(_binding(principal, topic, name, operation))
    return wanted


@dataclass(frozen=True)
class Applied:
    principal: str
    created: int
    deleted: int


class KafkaAccessAdmin:
    """The admin connection (a super user: the bootstrap `admin`)."""

    def __init__(self, admin: KafkaConnection) -> None:
        config: dict[str, str | int | float | bool] = dict(admin.librdkafka_config())
        self._client = AdminClient(config)

    def upsert_users(self, passwords: Mapping[str, str]) -> None:
        """Create or update the SCRAM-SHA-512 credential of each user."""
        if not passwords:
            return
        upserts: list[UserScramCredentialAlteration] = [
            UserScramCredentialUpsertion(
                name,
                ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                password.encode(),
            )
            for name, password in passwords.items()
        ]
        for future in self._client.alter_user_scram_credentials(upserts).values():
            future.result(timeout=_TIMEOUT)

    def current_acls(self, principal: Principal) -> set[AclBinding]:
        # None matches any name and any host (the stubs say str; librdkafka takes NULL).
        everything = AclBindingFilter(
            ResourceType.ANY,
            None,  # type: ignore[arg-type]
            ResourcePatternType.ANY,
            principal.user,
            None,  # type: ignore[arg-type]
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        found: list[AclBinding] = self._client.describe_acls(everything).result(timeout=_TIMEOUT)
        return set(found)

    def reconcile(self, principal: Principal) -> Applied:
        """Grant what the table says and revoke what it does not."""
        wanted = acl_bindings(principal)
        current = self.current_acls(principal)
        missing = sorted(wanted - current, key=str)
        extra = sorted(current - wanted, key=str)
        if missing:
            for future in self._client.create_acls(missing).values():
                future.result(timeout=_TIMEOUT)
        if extra:
            filters = [_exact_filter(binding) for binding in extra]
            for future in self._client.delete_acls(filters).values():
                future.result(timeout=_TIMEOUT)
        return Applied(principal.name, created=len(missing), deleted=len(extra))


def _exact_filter(binding: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        binding.restype,
        binding.name,
        binding.resource_pattern_type,
        binding.principal,
        binding.host,
        binding.operation,
        binding.permission_type,
    )


def apply_access(
    admin: KafkaConnection, principals: Iterable[Principal], passwords: Mapping[str, str]
) -> list[Applied]:
    """SCRAM users for `principals` (each must have a password) and exactly their ACLs."""
    chosen = list(principals)
    missing = [p.name for p in chosen if not passwords.get(p.name)]
    if missing:
        raise ValueError(f"no password given for {', '.join(missing)}")
    access = KafkaAccessAdmin(admin)
    access.upsert_users({p.name: passwords[p.name] for p in chosen})
    return [access.reconcile(p) for p in chosen]
