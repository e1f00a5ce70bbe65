"""Apache Kafka 4.x, KRaft, one combined broker+controller, run from Maven Central jars
(`kafka_jars`) with generated settings (`kafka_config`)."""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import uuid
from pathlib import Path
from typing import ClassVar

from aihub_local.asyncutil import run_sync
from aihub_local.component import HOST, Component, ProcessRecord
from aihub_local.kafka_config import TOOLS_LOG4J, broker_log4j, server_properties
from aihub_local.kafka_credentials import (
    CREDENTIALS_FILE,
    ensure_credentials,
    load_credentials,
    local_connection,
)
from aihub_local.kafka_jars import ensure_kafka_libs, kafka_version
from aihub_local.procutil import spawn_daemon, tcp_accepts
from aihub_local.system import java_binary
from aihub_shared.kafka_access.apply import apply_access
from aihub_shared.kafka_access.table import PRINCIPALS
from aihub_shared.runtime.kafka_client import KafkaConnection

NODE_ID = 1


def _random_cluster_id() -> str:
    # Kafka's Uuid.randomUuid().toString(): URL-safe base64 of 16 random bytes, no padding.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


async def _metadata_ok(kafka: KafkaConnection) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**kafka.aiokafka_options(), request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def kafka_metadata_ok(kafka: KafkaConnection) -> bool:
    """True when the broker authenticates `kafka`'s principal, answers a metadata request and
    lists itself as a live broker."""
    host, _, port = kafka.bootstrap_servers.rpartition(":")
    if not tcp_accepts(host, int(port)):
        return False
    return run_sync(_metadata_ok(kafka))


class KafkaComponent(Component):
    name = "kafka"
    default_ports: ClassVar[dict[str, int]] = {"broker": 9092, "controller": 9093}
    stop_timeout = 45.0  # controlled shutdown of a single node takes a few seconds

    @property
    def config_file(self) -> Path:
        return self.dir / "server.properties"

    @property
    def credentials_file(self) -> Path:
        return self.dir / CREDENTIALS_FILE

    def connection(
        self, record_or_ports: ProcessRecord | dict[str, int], principal: str
    ) -> KafkaConnection:
        ports = (
            record_or_ports.ports if isinstance(record_or_ports, ProcessRecord) else record_or_ports
        )
        return local_connection(f"{HOST}:{ports['broker']}", self.credentials_file, principal)

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def logs_dir(self) -> Path:
        return self.dir / "logs"

    @property
    def stdout_log(self) -> Path:
        return self.logs_dir / "kafka.out"

    def markers(self) -> list[str]:
        return ["kafka.Kafka", str(self.config_file)]

    def log_files(self) -> list[Path]:
        return [self.stdout_log, self.logs_dir / "server.log"]

    def prepare(self) -> None:
        self._java = java_binary()
        self._libs = ensure_kafka_libs()
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "log4j2.properties").write_text(self._log4j_config())
        (self.dir / "tools-log4j2.properties").write_text(TOOLS_LOG4J)
        if (self.data_dir / "meta.properties").exists() and not self.credentials_file.exists():
            # The broker's users were created with passwords nobody knows any more.
            raise RuntimeError(
                f"{self.credentials_file} is missing but {self.data_dir} is formatted: "
                f"remove {self.dir} to start the broker afresh"
            )
        self._passwords = ensure_credentials(self.credentials_file)

    def _log4j_config(self) -> str:
        return broker_log4j(self.logs_dir)

    def _server_properties(self, ports: dict[str, int]) -> str:
        return server_properties(
            node_id=NODE_ID,
            host=HOST,
            broker=ports["broker"],
            controller=ports["controller"],
            data=self.data_dir,
            passwords=self._passwords,
        )

    def _java_argv(self, main: str, *args: str, heap: str, log_config: Path) -> list[str]:
        return [
            self._java,
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log_config}",
            f"-Dkafka.logs.dir={self.logs_dir}",
            "-cp",
            f"{self._libs}/*",
            main,
            *args,
        ]

    def _format_storage(self) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = _random_cluster_id()
        argv = self._java_argv(
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            cluster_id,
            "--config",
            str(self.config_file),
            "--ignore-formatted",
            # The broker's own user and the bootstrap admin exist from the first start; the
            # admin creates everyone else (`after_ready`).
            *self._scram_users("broker", "admin"),
            heap="256m",
            log_config=self.dir / "tools-log4j2.properties",
        )
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"kafka storage format failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}"
            )

    def _scram_users(self, *names: str) -> list[str]:
        argv = []
        for name in names:
            argv += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={self._passwords[name]}]"]
        return argv

    def spawn(self, ports: dict[str, int]) -> int:
        # Rewritten on every start: ports may differ from last time. The quorum is static
        # (controller.quorum.voters), so a changed controller port is harmless, unlike with a
        # `--standalone` dynamic quorum whose voter endpoints are stored in the metadata log.
        self.config_file.touch(mode=0o600)
        self.config_file.chmod(0o600)  # it holds the broker's and the controller's passwords
        self.config_file.write_text(self._server_properties(ports))
        self._format_storage()
        argv = self._java_argv(
            "kafka.Kafka",
            str(self.config_file),
            heap=os.environ.get("AIHUB_KAFKA_HEAP", "512m"),
            log_config=self.dir / "log4j2.properties",
        )
        return spawn_daemon(argv, log_file=self.stdout_log, cwd=self.dir)

    def probe(self, ports: dict[str, int]) -> bool:
        return kafka_metadata_ok(self.connection(ports, "admin"))

    def after_ready(self, record: ProcessRecord) -> None:
        """Every principal of the access table with its local password and exactly its ACLs."""
        apply_access(
            self.connection(record, "admin"),
            PRINCIPALS,
            load_credentials(self.credentials_file),
        )

    def record_info(self, ports: dict[str, int]) -> dict[str, str]:
        return {"version": kafka_version(), "libs": str(self._libs)}

    def bootstrap(self, record: ProcessRecord) -> str:
        return f"{HOST}:{record.ports['broker']}"
