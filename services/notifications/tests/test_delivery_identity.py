"""Delivery ids, Message-IDs, backoff and single-line text: the pure rules behind exactly-once."""

from __future__ import annotations

import uuid

import pytest

from aihub_notifications.domain.deliveries import (
    DELIVERY_NAMESPACE,
    delivery_id,
    message_id,
    retry_delay,
    single_line,
)


def test_delivery_id_is_a_uuid5_of_the_triple_and_stable() -> None:
    first = delivery_id("evt-1", "pm@hub.test", "enrollment_confirmed_manager")
    assert first.version == 5
    assert first == delivery_id("evt-1", "pm@hub.test", "enrollment_confirmed_manager")
    # Pinned: a change of the derivation would send old events' e-mails a second time.
    assert first == uuid.uuid5(
        DELIVERY_NAMESPACE, '["evt-1", "pm@hub.test", "enrollment_confirmed_manager"]'
    )
    assert (
        uuid.uuid5(uuid.NAMESPACE_URL, "https://seoulaihub.kr/notifications/deliveries")
        == DELIVERY_NAMESPACE
    )


def test_each_part_of_the_triple_makes_a_different_delivery() -> None:
    base = ("evt-1", "pm@hub.test", "enrollment_confirmed_manager")
    variants = [
        ("evt-2", "pm@hub.test", "enrollment_confirmed_manager"),
        ("evt-1", "other@hub.test", "enrollment_confirmed_manager"),
        ("evt-1", "pm@hub.test", "enrollment_confirmed_applicant"),
    ]
    ids = {delivery_id(*base), *(delivery_id(*v) for v in variants)}
    assert len(ids) == 4


def test_recipient_letter_case_and_padding_do_not_make_a_second_delivery() -> None:
    assert delivery_id("e", " PM@Hub.Test ", "t") == delivery_id("e", "pm@hub.test", "t")


def test_parts_cannot_be_shifted_into_each_other() -> None:
    # A naive "a|b|c" join would make these equal.
    assert delivery_id("e|x", "y@z", "t") != delivery_id("e", "x|y@z", "t")


def test_message_id_carries_the_delivery_id() -> None:
    identity = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert message_id(identity) == (
        "<12345678-1234-5678-1234-567812345678@notifications.seoulaihub.kr>"
    )


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(0, 0.0), (1, 30.0), (2, 60.0), (3, 120.0), (7, 1920.0), (8, 3600.0), (5000, 3600.0)],
)
def test_retry_delay_doubles_and_is_capped(attempts: int, expected: float) -> None:
    assert retry_delay(attempts, base_seconds=30, max_seconds=3600) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Deep Harbor AI", "Deep Harbor AI"),
        ("Deep\r\nBcc: evil@attacker.test", "Deep Bcc: evil@attacker.test"),
        ("  tabs\tand\nnewlines  ", "tabs and newlines"),
        ("line\u2028separator\x85next", "line separator next"),
        ("bell\x07and\x00nul", "bellandnul"),
        ("서울 AI 허브", "서울 AI 허브"),
    ],
)
def test_single_line(raw: str, expected: str) -> None:
    assert single_line(raw) == expected
