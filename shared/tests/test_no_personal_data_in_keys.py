"""Keys and headers carry no personal data (issue 15): a key stays in Kafka's index and in every
consumer's logs and metrics, a header in every tool that shows records; neither is erased."""

from __future__ import annotations

import pytest

from aihub_shared.contracts.examples import example_event
from aihub_shared.contracts.registry import EVENT_CONTRACTS
from aihub_shared.runtime.outbox import event_headers

#: The examples' person: the founder, their startup and its number, a reviewer, a manager.
PERSONAL = (
    *("sky@", "김하늘", "딥러닝랩", "2208162517"),
    *("reviewer.park@", "박심사", "pm@", "이매니저"),
)


@pytest.mark.parametrize("contract", EVENT_CONTRACTS, ids=lambda c: c.name)
def test_no_example_puts_personal_data_in_its_key_or_headers(contract: object) -> None:
    event = example_event(contract)  # type: ignore[arg-type]
    carried = [event.subject or "", *(value.decode() for _, value in event_headers(event))]
    assert [p for p in PERSONAL for text in carried if p in text] == []


def test_the_examples_do_carry_personal_data_in_their_bodies() -> None:
    """Else the test above would prove nothing."""
    bodies = " ".join(str(example_event(c).data) for c in EVENT_CONTRACTS)
    assert all(p in bodies for p in PERSONAL)
