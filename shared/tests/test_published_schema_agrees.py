"""The published JSON Schema and the consumer give the same verdict on every message.

A publishing system validates against `docs/events/*.schema.json` with a real validator
(`jsonschema`, draft 2020-12, format assertions on, and the one documented vendor keyword,
`x-aihub-check-digit`, implemented from the algorithm the schema describes; `pattern` read as
JSON Schema says, ECMA-262, where `$` is the end of the text, not also the place before a final
newline as in Python's `re`, which `jsonschema` uses as it is). Our consumer parses
the envelope and validates `data` against the contract's pydantic model, as `runtime/consumer.py`
does. Every example and every hostile variant below must get the same verdict from both.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from pydantic import ValidationError as ModelError

from aihub_shared.contracts.envelope import EventContractError, parse_event
from aihub_shared.contracts.examples import example_event
from aihub_shared.contracts.export import render_documents
from aihub_shared.contracts.registry import EVENT_CONTRACTS, contract, contract_for_type
from aihub_shared.contracts.values import (
    BRN_CHECK_DIGIT,
    BRN_WEIGHTS,
    CHECK_DIGIT_KEYWORD,
)

MISSING = object()


def brn_check_digit_as_documented(number: str) -> bool:
    """What a publisher writes from the schema's description, not our code."""
    digits = [int(d) for d in number]
    total = sum(d * w for d, w in zip(digits[:9], BRN_WEIGHTS, strict=True)) + digits[8] * 5 // 10
    return (10 - total % 10) % 10 == digits[9]


def _check_digit(
    validator: Validator, algorithm: str, instance: object, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    assert algorithm == BRN_CHECK_DIGIT, f"undocumented check digit {algorithm}"
    if not isinstance(instance, str):
        return
    ten_digits = len(instance) == 10 and instance.isascii() and instance.isdigit()
    if ten_digits and not brn_check_digit_as_documented(instance):
        yield ValidationError(f"{instance!r} has a wrong check digit")


def _ecma_pattern(
    validator: Validator, pattern: str, instance: object, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    # Our patterns end in `$` and use it nowhere else.
    if isinstance(instance, str) and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


PublisherValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {CHECK_DIGIT_KEYWORD: _check_digit, "pattern": _ecma_pattern}
)


@functools.cache
def published_documents() -> dict[str, str]:
    return render_documents()


def published_schema(event_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(published_documents()[f"events/{event_type}.schema.json"])
    return schema


def schema_accepts(document: dict[str, Any]) -> bool:
    validator = PublisherValidator(
        published_schema(document.get("type") or ""),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return not list(validator.iter_errors(document))


def consumer_accepts(document: dict[str, Any]) -> bool:
    """The consumer's verdict on the bytes a publisher would send."""
    try:
        event = parse_event(json.dumps(document).encode())
    except EventContractError:
        return False
    found = contract_for_type(event.type)
    assert found is not None
    try:
        found.data_model.model_validate(event.data)
    except ModelError:
        return False
    return True


def variant(document: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of `document` with the value at dotted `path` replaced (or removed: MISSING)."""
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    if value is MISSING:
        del target[last]
    else:
        target[last] = value
    return changed


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = example_event(contract(name)).model_dump(
        mode="json", exclude_none=True
    )
    return document


ONE_LINE = [
    *["Lab\r\nBcc: all@example.com", "\tLab", " Lab", "Lab ", "Lab\x00", "Lab\ud800", "Lab\u0085"],
    *["\u3000Lab", "", "x" * 201, "Lab 🚀", "딥러닝랩 (주)", "Lab\ufeff"],
]
SUBMITTED: list[tuple[str, object]] = [
    ("data.startup.business_registration_number", "1234567890"),  # an eligibility reason
    ("data.startup.business_registration_number", "12345"),
    ("data.startup.business_registration_number", "123456789O"),
    ("data.startup.business_registration_number", "١٢٣٤٥٦٧٨٩٠"),
    ("data.startup.business_registration_number", 2208162517),
    ("data.startup.founded_on", "2022-02-30"),
    ("data.startup.founded_on", "2024-02-29"),
    ("data.startup.founded_on", "2022-2-3"),
    ("data.startup.founded_on", "20220203"),
    ("data.startup.founded_on", "2022-02-03T00:00:00"),
    ("data.startup.founded_on", 20220203),
    ("data.startup.employees", 100_001),
    ("data.startup.employees", 100_000),
    ("data.startup.employees", -1),
    ("data.startup.employees", "10"),
    ("data.startup.employees", 10.5),
    ("data.startup.employees", True),
    ("data.startup.employees", MISSING),
    *[("data.startup.name", text) for text in ONE_LINE],
    *[("data.contact.name", text) for text in ONE_LINE],
    ("data.startup.description", "a\r\nb\tc"),
    ("data.startup.description", "x\x00"),
    ("data.startup.description", "\udfff"),
    ("data.startup.description", "x" * 5001),
    ("data.startup.website", "ftp://lab.example"),
    ("data.startup.website", "not a url"),
    ("data.startup.website", "https://lab.example/about"),
    ("data.startup.website", None),
    ("data.contact.email", "no-at-sign"),
    ("data.contact.email", "a@b"),
    ("data.contact.email", "a@b.example"),
    ("data.contact.locale", "fr"),
    ("data.answers", {"why\nnow": "x"}),
    ("data.answers", {"": "x"}),
    ("data.answers", {"why_now": "\x00"}),
    ("data.answers", {"why_now": "첫 줄\n둘째 줄"}),
    ("data.answers", ["not", "a", "map"]),
    ("data.answers", {f"q{i}": "x" for i in range(51)}),
    ("data.consent_personal_info", "maybe"),
    ("data.consent_personal_info", "true"),
    ("data.consent_personal_info", 1),
    ("data.consent_personal_info", False),  # an eligibility reason
    ("data.submission_id", "x" * 129),
    ("data.submission_id", "bad id"),
    ("data.submission_id", ""),
    ("data.program_code", "A"),
    ("data.program_code", "cv-"),
    ("data.cohort_code", "Cohort-1"),
    ("data.startup", MISSING),
]
KPI_REPORTED: list[tuple[str, object]] = [
    ("data.business_registration_number", "1234567890"),
    ("data.business_registration_number", "2208162517"),
    ("data.quarter", "2027-Q5"),
    ("data.quarter", "2027-q1"),
    ("data.quarter", "1999-Q1"),
    ("data.revenue_krw", -1),
    ("data.revenue_krw", 10**16),
    ("data.revenue_krw", "100"),
    ("data.headcount", 1.5),
    ("data.cohort_code", "' OR 1=1 --"),
    ("data.report_id", "bad id"),
]
CONSENT: list[tuple[str, object]] = [
    ("data.consent", MISSING),
    ("data.consent", None),
    ("data.consent.text_id", "Privacy Text"),
    ("data.consent.text_version", 0),
    ("data.consent.text_version", "3"),
    ("data.consent.locale", "de"),
    ("data.consent.agreed_at", "2027-01-19T23:58:12"),
    ("data.consent.agreed_at", 1800000000),
    ("data.consent.agreed_at", "2027-02-30T10:00:00Z"),
    ("data.consent.optional", {"resale": True}),
    ("data.consent.optional", {"marketing_mail": "yes"}),
    ("data.consent.optional", {}),
    ("data.consent.optional", [{"purpose": "marketing_mail", "agreed": True}]),
]
ERASURE_REQUESTED: list[tuple[str, object]] = [
    ("data.email", MISSING),
    ("data.email", None),
    ("data.email", "not-an-address"),
    ("data.application_ids", []),
    ("data.application_ids", ["0B8F5A52-3C1E-4E0B-9A57-6F1D2A7C9E01"]),
    ("data.application_ids", ["not-a-uuid"]),
    ("data.request_id", "bad id"),
]
ENVELOPE: list[tuple[str, object]] = [
    ("specversion", "0.3"),
    ("id", "a b"),
    ("id", ""),
    ("source", ""),
    ("source", "/portal\n"),
    ("time", "2027-01-20T01:30:00"),
    ("time", "2027-02-30T01:30:00Z"),
    ("time", 1700000000),
    ("subject", "x\ny"),
    ("datacontenttype", "text/plain"),
    ("correlationid", "a b"),
    ("data", MISSING),
    ("data", []),
]
CASES = [
    *[("application.submitted", path, value) for path, value in SUBMITTED],
    *[("startup.kpi_reported", path, value) for path, value in KPI_REPORTED],
    *[("application.submitted", path, value) for path, value in CONSENT],
    *[("person.erasure_requested", path, value) for path, value in ERASURE_REQUESTED],
    ("person.erasure_requested", "data", {"request_id": "r-1"}),
    ("person.erasure_requested", "data", {"request_id": "r-1", "email": None}),
    *[(c.name, path, value) for c in EVENT_CONTRACTS for path, value in ENVELOPE],
]


@pytest.mark.parametrize("name", [c.name for c in EVENT_CONTRACTS])
def test_every_example_is_valid_for_both(name: str) -> None:
    document = example(name)
    assert schema_accepts(document)
    assert consumer_accepts(document)


@pytest.mark.parametrize(("name", "path", "value"), CASES, ids=lambda v: repr(v)[:40])
def test_schema_and_consumer_agree(name: str, path: str, value: object) -> None:
    document = variant(example(name), path, value)
    assert schema_accepts(document) == consumer_accepts(document), json.dumps(document)[:300]


def test_the_variants_are_hostile_enough_to_matter() -> None:
    """Without refusals the agreement above would prove nothing."""
    verdicts = [consumer_accepts(variant(example(n), p, v)) for n, p, v in CASES]
    assert verdicts.count(False) > len(CASES) // 2
    assert verdicts.count(True) >= 10


def test_the_check_digit_rule_is_published_with_its_algorithm() -> None:
    """The one rule JSON Schema cannot express is named by the vendor keyword and described."""
    schema = json.dumps(published_schema(contract("startup.kpi_reported").type))
    assert f'"{CHECK_DIGIT_KEYWORD}": "{BRN_CHECK_DIGIT}"' in schema
    assert "1,3,7,1,3,7,1,3,5" in schema
    index = published_documents()["README.md"]
    assert CHECK_DIGIT_KEYWORD in index
    assert "format: date" in index
