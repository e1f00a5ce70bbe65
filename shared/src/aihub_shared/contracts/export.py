"""`aihub-contracts`: export JSON Schema per event and the AsyncAPI document into docs/, and
create the topics on a broker.

Publishing systems read these files, never our code. A test fails when they are stale.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from aihub_shared.contracts.registry import EVENT_CONTRACTS
from aihub_shared.contracts.topics import ALL_TOPICS
from aihub_shared.contracts.topics_admin import ensure_topics
from aihub_shared.contracts.typed import envelope_model

app = typer.Typer(help="Export the platform's event contracts.", no_args_is_help=True)


def render_documents() -> dict[str, str]:
    """Relative path → file content, for every exported document."""
    documents: dict[str, str] = {}
    for contract in EVENT_CONTRACTS:
        schema = envelope_model(contract).model_json_schema()
        schema["$id"] = f"urn:kr.seoul.aihub:events:{contract.type}"
        schema["x-kafka-topic"] = contract.topic
        documents[f"events/{contract.type}.schema.json"] = _json(schema)
    documents["asyncapi.json"] = _json(_asyncapi())
    return documents


def _asyncapi() -> object:
    broker = KafkaBroker("kafka:9092")
    descriptions = {t.name: t.description for t in ALL_TOPICS}
    for contract in EVENT_CONTRACTS:
        broker.publisher(
            contract.topic,
            title=f"{contract.topic}:{contract.type}",
            description=f"{contract.summary} Topic: {descriptions[contract.topic]}",
            schema=envelope_model(contract),
        )
    spec = AsyncAPI(
        broker,
        title="Seoul AI Hub programs platform — events",
        version="1.0.0",
        description="CloudEvents 1.0 (structured JSON) on Kafka. Key: the aggregate id.",
        schema_version="3.0.0",
    )
    return spec.to_specification().to_jsonable()


def _json(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@app.command()
def export(out: Path = typer.Option(Path("docs"), help="Folder to write into.")) -> None:
    """Write docs/events/*.schema.json and docs/asyncapi.json."""
    for relative, content in render_documents().items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        typer.echo(f"wrote {target}")


@app.command("create-topics")
def create_topics(
    bootstrap: str = typer.Option(..., envvar="KAFKA_BOOTSTRAP_SERVERS", help="host:port"),
) -> None:
    """Create every platform topic that does not exist yet (safe to re-run)."""
    created = asyncio.run(ensure_topics(bootstrap))
    typer.echo(f"created {len(created)} topics: {', '.join(created) or '-'}")


@app.command()
def check(out: Path = typer.Option(Path("docs"))) -> None:
    """Exit 1 if docs/ differs from the contracts in code."""
    stale = [
        rel
        for rel, content in render_documents().items()
        if not (out / rel).exists() or (out / rel).read_text(encoding="utf-8") != content
    ]
    if stale:
        typer.echo("stale: " + ", ".join(stale))
        raise typer.Exit(1)
