"""Answering a message that breaks the contract with a refused receipt, when we can tell whose
it is and which submission it was.

A consumer of a public intake topic declares `RefusedReceipts` on its `ConsumerSpec`: the
consumer then hands it every contract violation whose bytes were at least a JSON object, and
writes the receipt it returns in the transaction that would otherwise have written the dead
letter. What cannot be attributed (no readable `source` or id) gets no receipt and goes to the
dead letters, as before: there is nobody to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from aihub_shared.contracts.envelope import CloudEvent, EventRef, EventSource
from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.registry import ServiceEvents, contract
from aihub_shared.contracts.values import ExternalId, Locale
from aihub_shared.contracts.violations import refusals_for


@dataclass(frozen=True)
class ContractViolation:
    """A JSON object that is not a valid event: what it says, and every rule it broke."""

    document: Mapping[str, Any]
    reason: str
    errors: Sequence[ErrorDetails]


#: Given a violation, the events that answer it (empty: nobody to answer, dead-letter it).
ContractRefusal = Callable[[ContractViolation], Sequence[CloudEvent]]

_SOURCE: TypeAdapter[str] = TypeAdapter(EventSource)
_EVENT_REF: TypeAdapter[str] = TypeAdapter(EventRef)
_EXTERNAL_ID: TypeAdapter[str] = TypeAdapter(ExternalId)
_LOCALE: TypeAdapter[Locale] = TypeAdapter(Locale)


def _valid(adapter: TypeAdapter[Any], value: object) -> Any:
    try:
        return adapter.validate_python(value, strict=True)
    except ValidationError:
        return None


@dataclass(frozen=True)
class RefusedReceipts:
    """A `ContractRefusal` for an intake topic: a refused `receipt` keyed by the publisher's
    `id_field` (`submission_id`, `report_id`), reasons field by field, in the language found at
    `locale_at` inside `data` (else Korean and English)."""

    events: ServiceEvents
    receipt: str
    id_field: str
    locale_at: tuple[str, ...] = ()

    def __call__(self, violation: ContractViolation) -> list[CloudEvent]:
        document = violation.document
        data = document.get("data")
        source = _valid(_SOURCE, document.get("source"))
        if source is None or not isinstance(data, Mapping):
            return []
        publisher_id = _valid(_EXTERNAL_ID, data.get(self.id_field))
        if publisher_id is None:
            return []
        reasons = refusals_for(violation.errors, self._locale(data)) or [
            Refusal(code="contract_violation", message=violation.reason)
        ]
        body = contract(self.receipt).data_model.model_validate(
            {
                self.id_field: publisher_id,
                "submitted_by": source,
                "outcome": "refused",
                "reasons": reasons,
            }
        )
        event_id = _valid(_EVENT_REF, document.get("id"))
        correlation_id = _valid(_EVENT_REF, document.get("correlationid")) or event_id
        receipt = self.events.new(
            self.receipt,
            subject=publisher_id,
            data=body,
            correlation_id=correlation_id,
            causation_id=event_id,
        )
        return [receipt]

    def _locale(self, data: Mapping[str, Any]) -> Locale | None:
        value: object = data
        for key in self.locale_at:
            value = value.get(key) if isinstance(value, Mapping) else None
        return _valid(_LOCALE, value) if self.locale_at else None
