"""CloudEvents 1.0 envelope in structured JSON mode, and the one parser every consumer uses.

Consumers ignore unknown fields (forward compatibility) but refuse unknown types and majors: the
reason goes to the dead-letter topic, so a publisher learns why its message was not taken.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from aihub_shared.contracts.values import Rfc3339DateTime

TYPE_PREFIX = "kr.seoul.aihub."
MAX_EVENT_BYTES = 256 * 1024


#: Printable ASCII without spaces: what an envelope's `source` and ids may hold.
_PRINTABLE = r"^[\x21-\x7e]+$"
EventSource = Annotated[str, Field(min_length=1, max_length=256, pattern=_PRINTABLE)]
EventRef = Annotated[str, Field(min_length=1, max_length=128, pattern=_PRINTABLE)]


class EventContractError(ValueError):
    """The bytes can never become a valid event: bad JSON, contract violation, unknown type.

    When the bytes were a JSON object, `document` is that object and `errors` say which fields
    broke which rule (locations from the envelope's root): enough for a consumer to answer the
    publisher field by field instead of only dead-lettering."""

    def __init__(
        self,
        reason: str,
        detail: str = "",
        *,
        document: Mapping[str, Any] | None = None,
        errors: Sequence[ErrorDetails] = (),
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.document = document
        self.errors = list(errors)


class CloudEvent(BaseModel):
    """The envelope; `data` stays a dict here and is validated against the type's own model."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"]
    id: EventRef
    source: EventSource
    type: str = Field(min_length=1, max_length=128, pattern=r"^[a-z0-9_.]+\.v[0-9]+$")
    time: Rfc3339DateTime
    subject: str | None = Field(default=None, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: EventRef | None = None
    causationid: EventRef | None = None
    data: dict[str, Any]

    @classmethod
    def new(
        cls,
        *,
        type: str,
        source: str,
        subject: str,
        data: BaseModel,
        caused_by: CloudEvent | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> CloudEvent:
        """A fresh event; when caused by another, it inherits the correlation id. Without the
        causing event at hand, its ids may be given (an HTTP request's X-Correlation-Id, or ids
        stored with a row)."""
        event_id = str(uuid.uuid4())
        correlation = correlation_id
        causation = causation_id
        if caused_by is not None:
            correlation = caused_by.correlationid or caused_by.id
            causation = caused_by.id
        return cls(
            specversion="1.0",
            id=event_id,
            source=source,
            type=type,
            time=datetime.now(UTC),
            subject=subject,
            correlationid=correlation or event_id,
            causationid=causation,
            data=data.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def parse_event(raw: bytes | None) -> CloudEvent:
    """Kafka bytes to an envelope, or EventContractError with a reason fit for a dead letter."""
    if raw is None:
        raise EventContractError("empty message", "the record has no value")
    if len(raw) > MAX_EVENT_BYTES:
        raise EventContractError("message too large", f"{len(raw)} bytes > {MAX_EVENT_BYTES}")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventContractError("not JSON", str(exc)) from exc
    except RecursionError as exc:
        raise EventContractError("not JSON", "nested too deeply") from exc
    if not isinstance(document, dict):
        raise EventContractError("not a CloudEvent", "the JSON document is not an object")
    try:
        return CloudEvent.model_validate(document)
    except ValidationError as exc:
        raise EventContractError(
            "envelope violates CloudEvents 1.0",
            _summary(exc),
            document=document,
            errors=exc.errors(include_input=False, include_url=False),
        ) from exc


def _summary(exc: ValidationError) -> str:
    """Field paths and messages, without echoing the (possibly hostile) input values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:10]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def validation_summary(exc: ValidationError) -> str:
    return _summary(exc)
