"""How every Kafka client of the platform connects and authenticates: one place.

The services' broker and relay, the dead-letter collector, `aihub-dead-letters`, topic creation,
`aihub-kafka-access`, the launcher and the tests all build their clients from a `KafkaConnection`.
The default is SASL/SCRAM-SHA-512 over TLS: a deployment that forgets to say otherwise gets an
encrypted, authenticated connection or none, never a silent plaintext one. The local launcher
and compose say `SASL_PLAINTEXT` explicitly (loopback / a private compose network).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.helpers import create_ssl_context
from faststream.security import SASLScram512
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["SASL_SSL", "SASL_PLAINTEXT"]
SaslMechanism = Literal["SCRAM-SHA-512"]


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and who this client is. The password never appears in `repr`."""

    bootstrap_servers: str
    username: str
    password: SecretStr
    security_protocol: SecurityProtocol = "SASL_SSL"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    ca_file: Path | None = None

    def as_principal(self, username: str, password: str | SecretStr) -> KafkaConnection:
        """The same brokers, another principal."""
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
        return replace(self, username=username, password=secret)

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.security_protocol != "SASL_SSL":
            return None
        # None: the system's CAs; a deployment with its own CA names the bundle.
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ca_file) if self.ca_file else None
        )
        return context

    def aiokafka_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer / AIOKafkaConsumer / AIOKafkaAdminClient."""
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
            "sasl_mechanism": self.sasl_mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password.get_secret_value(),
            "ssl_context": self._ssl_context(),
        }

    def faststream_security(self) -> SASLScram512:
        """The `security=` of a FastStream KafkaBroker."""
        return SASLScram512(
            username=self.username,
            password=self.password.get_secret_value(),
            ssl_context=self._ssl_context(),
            use_ssl=self.security_protocol == "SASL_SSL",
        )

    def environment(self) -> dict[str, str]:
        """The `KAFKA_*` variables that make a service or a command-line tool this client."""
        variables = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_SECURITY_PROTOCOL": self.security_protocol,
            "KAFKA_SASL_MECHANISM": self.sasl_mechanism,
            "KAFKA_USERNAME": self.username,
            "KAFKA_PASSWORD": self.password.get_secret_value(),
        }
        if self.ca_file is not None:
            variables["KAFKA_CA_FILE"] = str(self.ca_file)
        return variables

    def librdkafka_config(self) -> dict[str, str]:
        """The configuration of a confluent-kafka (librdkafka) client: the ACL/SCRAM admin."""
        config = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
            "sasl.mechanism": self.sasl_mechanism,
            "sasl.username": self.username,
            "sasl.password": self.password.get_secret_value(),
        }
        if self.ca_file is not None:
            config["ssl.ca.location"] = str(self.ca_file)
        return config


class KafkaSettings(BaseSettings):
    """`KAFKA_*` variables: every service and every Kafka command-line tool reads these."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092")
    kafka_security_protocol: SecurityProtocol = Field(default="SASL_SSL")
    kafka_sasl_mechanism: SaslMechanism = Field(default="SCRAM-SHA-512")
    kafka_username: str = Field(min_length=1)
    kafka_password: SecretStr
    kafka_ca_file: Path | None = Field(default=None)

    @property
    def kafka(self) -> KafkaConnection:
        return KafkaConnection(
            bootstrap_servers=self.kafka_bootstrap_servers,
            username=self.kafka_username,
            password=self.kafka_password,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            ca_file=self.kafka_ca_file,
        )


async def start(client: AIOKafkaConsumer | AIOKafkaProducer) -> None:
    """Start an aiokafka client; when the start fails, stop it before raising. A failed start
    has opened connections already: left unstopped, they stay open until the client is
    collected, with an "Unclosed AIOKafka…" warning."""
    try:
        await client.start()
    except BaseException:
        await client.stop()
        raise


def kafka_from_environment() -> KafkaConnection:
    """The connection the `KAFKA_*` variables describe (for command-line tools)."""
    return KafkaSettings().kafka
