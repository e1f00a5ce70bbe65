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
from aihub_local.kafka_jars import ensure_kafka_libs, kafka_version
from aihub_local.procutil import spawn_daemon, tcp_accepts
from aihub_local.system import java_binary

NODE_ID = 1


def _random_cluster_id() -> str:
    # Kafka's Uuid.randomUuid().toString(): URL-safe base64 of 16 random bytes, no padding.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


async def _metadata_ok(bootstrap: str) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def kafka_metadata_ok(bootstrap: str) -> bool:
    """True when the broker answers a metadata request and lists itself as a live broker."""
    host, _, port = bootstrap.rpartition(":")
    if not tcp_accepts(host, int(port)):
        return False
    return run_sync(_metadata_ok(bootstrap))


class KafkaComponent(Component):
    name = "kafka"
    default_ports: ClassVar[dict[str, int]] = {"broker": 9092, "controller": 9093}
    stop_timeout = 45.0  # controlled shutdown of a single node takes a few seconds

    @property
    def config_file(self) -> Path:
        return self.dir / "server.properties"

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

    def _log4j_config(self) -> str:
        return broker_log4j(self.logs_dir)

    def _server_properties(self, ports: dict[str, int]) -> str:
        return server_properties(
            node_id=NODE_ID,
            host=HOST,
            broker=ports["broker"],
            controller=ports["controller"],
            data=self.data_dir,
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
            heap="256m",
            log_config=self.dir / "tools-log4j2.properties",
        )
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"kafka storage format failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}"
            )

    def spawn(self, ports: dict[str, int]) -> int:
        # Rewritten on every start: ports may differ from last time. The quorum is static
        # (controller.quorum.voters), so a changed controller port is harmless, unlike with a
        # `--standalone` dynamic quorum whose voter endpoints are stored in the metadata log.
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
        return kafka_metadata_ok(f"{HOST}:{ports['broker']}")

    def record_info(self, ports: dict[str, int]) -> dict[str, str]:
        return {"version": kafka_version(), "libs": str(self._libs)}

    def bootstrap(self, record: ProcessRecord) -> str:
        return f"{HOST}:{record.ports['broker']}"
