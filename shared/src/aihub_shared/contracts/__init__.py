"""Event contracts: the CloudEvents envelope, every event's data model and the topics."""

from aihub_shared.contracts.envelope import CloudEvent, EventContractError, parse_event
from aihub_shared.contracts.registry import EVENT_CONTRACTS, EventContract, contract_for_type

__all__ = [
    "EVENT_CONTRACTS",
    "CloudEvent",
    "EventContract",
    "EventContractError",
    "contract_for_type",
    "parse_event",
]
