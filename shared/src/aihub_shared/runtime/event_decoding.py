"""From a Kafka record to a typed event, or an `EventContractError` that says every rule the
record broke, located from the envelope's root (what a refused receipt names, field by field)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from aihub_shared.contracts.envelope import (
    CloudEvent,
    EventContractError,
    parse_event,
    validation_summary,
)
from aihub_shared.contracts.registry import contract_for_type
from aihub_shared.contracts.violations import violation


def decode_record(record: ConsumerRecord) -> tuple[CloudEvent, str, BaseModel]:
    """The envelope, the contract's short name and the validated data."""
    try:
        event = parse_event(record.value)
    except EventContractError as exc:
        if exc.document is None:
            raise
        # A broken envelope says nothing of the data: name what is wrong there too.
        data_errors = _data_errors(exc.document, record.topic)
        raise EventContractError(
            exc.reason, exc.detail, document=exc.document, errors=[*exc.errors, *data_errors]
        ) from exc
    document = event.model_dump(mode="json")
    contract = contract_for_type(event.type)
    if contract is None or contract.topic != record.topic:
        reason, code = (
            ("unknown event type", "unknown_event_type")
            if contract is None
            else ("event type does not belong on this topic", "wrong_topic")
        )
        error = violation(code, f"{reason}: {event.type}", ("type",), type=event.type)
        raise EventContractError(reason, event.type, document=document, errors=[error])
    try:
        data = contract.data_model.model_validate(event.data)
    except ValidationError as exc:
        raise EventContractError(
            "data violates the contract",
            validation_summary(exc),
            document=document,
            errors=_located(exc, "data"),
        ) from exc
    return event, contract.name, data


def _located(exc: ValidationError, *prefix: str) -> list[ErrorDetails]:
    """The errors, located from the envelope's root, without echoing the input."""
    return [
        {**error, "loc": (*prefix, *error["loc"])}
        for error in exc.errors(include_input=False, include_url=False)
    ]


def _data_errors(document: Mapping[str, Any], topic: str) -> list[ErrorDetails]:
    """What the contract of the document's type says of its `data`, when both can be read."""
    contract = contract_for_type(str(document.get("type")))
    data = document.get("data")
    if contract is None or contract.topic != topic or not isinstance(data, dict):
        return []
    try:
        contract.data_model.model_validate(data)
    except ValidationError as exc:
        return _located(exc, "data")
    return []
