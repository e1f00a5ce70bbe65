"""How long the launcher's Keycloak takes to serve: a cold start and warm restarts.

    .venv/bin/python -m benchmarks.keycloak_start [--state-dir .state/bench-keycloak] [--warm 3]

Starts Postgres and the SMTP capture of a state directory of its own (wiped first), then
Keycloak the way ``./dev up`` does (``KeycloakComponent.ensure``: prepare, spawn, wait for
``/health/ready``, the admin API's after-start step):

- **cold**: an empty database, so Keycloak creates its schema and imports the realm;
- **warm** (``--warm`` times): Keycloak stopped and started again on the same database.

Prints each start's wall seconds until it serves, the CPU seconds Keycloak used until then (the
work of the start: on a machine other jobs load, wall time mostly measures them) and the 1-minute
load average before and after it, then stops
everything and removes the state directory (``--keep`` keeps it, with Keycloak's log). The
distribution is installed and built first if needed (``./dev bootstrap`` does it too): that
one-off download and build is not timed. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from aihub_local.component import PortAllocator, ProcessRecord
from aihub_local.keycloak import KeycloakComponent
from aihub_local.keycloak_dist import ensure_keycloak_home
from aihub_local.postgres import PostgresComponent
from aihub_local.stack import SmtpComponent

REPO_ROOT = Path(__file__).resolve().parents[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: the work a start did, which, unlike its wall
    time, hardly depends on what else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed_start(keycloak: KeycloakComponent, ports: PortAllocator) -> tuple[ProcessRecord, float]:
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    record = keycloak.ensure(None, ports)
    seconds = time.monotonic() - started
    cpu = _cpu_seconds(record.pid)
    load = f"load {load_before:.2f} -> {os.getloadavg()[0]:.2f}"
    print(f"  {seconds:6.1f} s wall, {cpu:6.1f} s CPU   ({load})", flush=True)
    return record, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".state" / "bench-keycloak")
    parser.add_argument("--warm", type=int, default=3, help="warm restarts to time")
    parser.add_argument("--keep", action="store_true", help="keep the state dir (Keycloak's log)")
    args = parser.parse_args()
    state_dir: Path = args.state_dir.resolve()

    ensure_keycloak_home()  # the one-off install and build, not timed
    postgres = PostgresComponent(state_dir, fixed_ports=False)
    smtp = SmtpComponent(state_dir, fixed_ports=False)
    keycloak = KeycloakComponent(state_dir, fixed_ports=False)
    for component in (keycloak, smtp, postgres):
        component.stop(None)
    shutil.rmtree(state_dir, ignore_errors=True)
    ports = PortAllocator()
    pg_record = postgres.ensure(None, ports)
    smtp_record = smtp.ensure(None, ports)
    keycloak.depend_on(
        postgres_port=pg_record.ports["postgres"], smtp_port=smtp_record.ports["smtp"]
    )
    try:
        print(f"cold start (empty database), {os.cpu_count()} CPUs:", flush=True)
        record, cold = _timed_start(keycloak, ports)
        warm: list[float] = []
        print("warm starts (same database):", flush=True)
        for _ in range(args.warm):
            keycloak.stop(record)
            ports.release(record.ports.values())
            record, seconds = _timed_start(keycloak, ports)
            warm.append(seconds)
        keycloak.stop(record)
        summary = f"cold {cold:.1f} s"
        if warm:
            summary += f", warm median {sorted(warm)[len(warm) // 2]:.1f} s"
        print(summary)
    finally:
        for component in (keycloak, smtp, postgres):
            component.stop(None)
        if not args.keep:
            shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
