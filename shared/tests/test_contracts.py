"""The envelope parser and the value types refuse what must be refused, with a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from aihub_shared.contracts.envelope import CloudEvent, EventContractError, parse_event
from aihub_shared.contracts.examples import EXAMPLE_DATA, example_event
from aihub_shared.contracts.export import render_documents
from aihub_shared.contracts.intake import ApplicationSubmitted
from aihub_shared.contracts.registry import (
    EVENT_CONTRACTS,
    EventContract,
    contract,
    contract_for_type,
)
from aihub_shared.contracts.values import Contact, is_valid_business_registration_number


def submitted_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "submission_id": "portal-0001",
        "program_code": "cyber-valley-batch",
        "cohort_code": "cyber-valley-2027-1",
        "startup": {
            "name": "딥러닝랩 주식회사",
            "business_registration_number": "2208162517",
            "founded_on": "2022-03-01",
            "employees": 12,
            "ai_field": "computer vision",
        },
        "contact": {"name": "김하늘", "email": "sky@example.com", "locale": "ko"},
        "consent_personal_info": True,
    }
    data.update(overrides)
    return data


def envelope(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "specversion": "1.0",
        "id": "2b7c8f1e-0000-4000-8000-000000000001",
        "source": "/portal/recruit",
        "type": contract("application.submitted").type,
        "time": "2026-11-20T09:00:00+09:00",
        "subject": "portal-0001",
        "data": submitted_data(),
    }
    doc.update(overrides)
    return doc


def test_a_valid_event_round_trips() -> None:
    event = parse_event(json.dumps(envelope()).encode())
    assert event.type == "kr.seoul.aihub.application.submitted.v1"
    data = ApplicationSubmitted.model_validate(event.data)
    assert data.startup.name == "딥러닝랩 주식회사"
    assert parse_event(event.to_bytes()) == event


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    event = parse_event(json.dumps(envelope(extension_from_future="x")).encode())
    assert event.id.startswith("2b7c")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe not json", "not JSON"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a CloudEvent"),
        (b"[" * 100_000, "not JSON"),
        (None, "empty message"),
        (b"x" * (300 * 1024), "message too large"),
        (json.dumps(envelope(specversion="0.3")).encode(), "envelope violates CloudEvents 1.0"),
        (json.dumps(envelope(time="yesterday")).encode(), "envelope violates CloudEvents 1.0"),
        (json.dumps(envelope(source="bad\r\nsource")).encode(), "envelope violates CloudEvents"),
    ],
)
def test_bad_bytes_get_a_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(EventContractError) as caught:
        parse_event(raw)
    assert caught.value.reason.startswith(reason)


def test_the_reason_does_not_echo_hostile_values() -> None:
    with pytest.raises(EventContractError) as caught:
        parse_event(json.dumps(envelope(time="<script>alert(1)</script>")).encode())
    assert "<script>" not in str(caught.value)


@pytest.mark.parametrize(
    "name", ["Evil\r\nBcc: victim@example.com", "tab\there", " padded", "bell\x07"]
)
def test_names_with_control_characters_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        Contact(name=name, email="a@example.com")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "fine\x00then NUL"),
        ("description", "lone \ud800 surrogate"),
        ("answers", {"why": "NUL\x00"}),
        ("answers", {"bad\nkey": "x"}),
    ],
)
def test_text_that_could_never_be_stored_is_refused(field: str, value: object) -> None:
    data = submitted_data()
    if field == "description":
        data["startup"] = {**data["startup"], "description": value}
    else:
        data[field] = value
    with pytest.raises(ValidationError):
        ApplicationSubmitted.model_validate(data)


def test_a_nul_in_the_envelope_id_is_refused() -> None:
    with pytest.raises(EventContractError):
        parse_event(json.dumps(envelope(id="abc\u0000")).encode())


def test_known_business_registration_numbers() -> None:
    assert is_valid_business_registration_number("2208162517")
    assert not is_valid_business_registration_number("2208162518")
    assert not is_valid_business_registration_number("220816251")
    assert not is_valid_business_registration_number("22081625１7")  # full-width digit


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_fits_any_nine_digits(prefix: str) -> None:
    fitting = [d for d in "0123456789" if is_valid_business_registration_number(prefix + d)]
    assert len(fitting) == 1


def test_every_contract_type_is_unique_and_resolvable() -> None:
    types = [c.type for c in EVENT_CONTRACTS]
    assert len(types) == len(set(types))
    for c in EVENT_CONTRACTS:
        assert contract_for_type(c.type) is c
    assert contract_for_type("kr.seoul.aihub.application.submitted.v2") is None


def test_new_events_inherit_correlation_from_their_cause() -> None:
    cause = parse_event(json.dumps(envelope(correlationid="corr-1")).encode())
    data = ApplicationSubmitted.model_validate(submitted_data())
    effect = CloudEvent.new(
        type=contract("application.submitted").type,
        source="/x",
        subject="s",
        data=data,
        caused_by=cause,
    )
    assert effect.correlationid == "corr-1"
    assert effect.causationid == cause.id


@pytest.mark.parametrize("event_contract", EVENT_CONTRACTS, ids=lambda c: c.name)
def test_every_contract_has_an_example_that_its_consumers_accept(
    event_contract: EventContract,
) -> None:
    example = example_event(event_contract)
    parsed = parse_event(example.to_bytes())
    assert contract_for_type(parsed.type) is event_contract
    data = event_contract.data_model.model_validate(parsed.data)
    assert data.model_dump(mode="json", exclude_none=True) == example.data


def test_published_docs_match_the_code() -> None:
    """docs/ is what publishers read; regenerate with `aihub-contracts export` when this fails."""
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    for relative, content in render_documents().items():
        assert (docs / relative).read_text(encoding="utf-8") == content, relative


@pytest.mark.parametrize("name", ["application.rejected", "application.withdrawn"])
def test_reasons_are_held_to_their_own_limit_not_free_texts(name: str) -> None:
    example = EXAMPLE_DATA[name].model_dump(mode="json")
    model = contract(name).data_model
    assert model.model_validate({**example, "reason": "x" * 2000})
    with pytest.raises(ValidationError, match="2000"):
        model.model_validate({**example, "reason": "x" * 2001})
