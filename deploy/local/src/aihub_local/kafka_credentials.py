"""The local broker's SCRAM passwords: generated once per state directory, kept in a 0600 file
next to the broker's data (whose metadata log holds their salted hashes), never in the repo."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from aihub_shared.kafka_access.table import PRINCIPALS, SUPER_USERS
from aihub_shared.runtime.kafka_client import KafkaConnection

CREDENTIALS_FILE = "credentials.json"


def load_credentials(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return {str(name): str(password) for name, password in dict(data).items()}


def ensure_credentials(path: Path) -> dict[str, str]:
    """Every super user's and table principal's password; missing ones are generated (a new
    row in the table gets its password on the next `up`)."""
    known = load_credentials(path)
    wanted = [*SUPER_USERS, *(p.name for p in PRINCIPALS)]
    if all(name in known for name in wanted):
        return known
    for name in wanted:
        known.setdefault(name, secrets.token_urlsafe(18))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(known, handle, indent=2)
    tmp.replace(path)
    return known


def local_connection(bootstrap: str, credentials_file: Path, principal: str) -> KafkaConnection:
    """A client of the local broker (SASL_PLAINTEXT: it listens on loopback only) as `principal`."""
    passwords = load_credentials(credentials_file)
    if principal not in passwords:
        raise KeyError(f"no local Kafka credentials for {principal!r} in {credentials_file}")
    return KafkaConnection(
        bootstrap_servers=bootstrap,
        username=principal,
        password=SecretStr(passwords[principal]),
        security_protocol="SASL_PLAINTEXT",
    )
