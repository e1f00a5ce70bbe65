"""Envelope models typed per event, for documentation and for publishers that validate."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, create_model

from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.registry import EventContract


@cache
def envelope_model(contract: EventContract) -> type[BaseModel]:
    """`CloudEvent` with `type` fixed and `data` of the contract's model, e.g. for JSON Schema."""
    name = "".join(part.capitalize() for part in contract.name.replace(".", "_").split("_"))
    model: type[BaseModel] = create_model(
        f"{name}V{contract.version}Event",
        __base__=CloudEvent,
        __doc__=contract.summary,
        type=(Literal[contract.type], ...),  # type: ignore[arg-type]
        data=(contract.data_model, ...),
    )
    return model
