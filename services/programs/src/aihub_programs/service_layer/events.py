"""The events this service writes to its outbox."""

from __future__ import annotations

from aihub_shared.contracts.registry import ServiceEvents

EVENTS = ServiceEvents("/services/programs")
new_event = EVENTS.new
