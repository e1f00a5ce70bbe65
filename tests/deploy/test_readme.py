"""The README's configuration table names every variable a service reads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aihub_shared.kafka_access.cli import markdown_table
from tests.deploy.support import settings_class, settings_env

README = Path(__file__).resolve().parents[2] / "README.md"
SERVICES = ("applications", "programs", "notifications")


def configuration_table() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_a_service_reads_is_documented(service: str) -> None:
    undocumented = set(settings_env(settings_class(service))) - configuration_table()
    assert undocumented == set(), f"add to the README's configuration table: {undocumented}"


def test_the_table_documents_no_variable_that_nothing_reads() -> None:
    read = set().union(*(settings_env(settings_class(s)) for s in SERVICES))
    assert configuration_table() - read == set()


def test_the_kafka_access_table_is_the_one_in_code() -> None:
    """The README's copy of who may read and write what is the table the broker gets."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Kafka security", 1)[1].split("\n## ", 1)[0]
    assert markdown_table() in section
