"""The MIME message: parts, headers, and no header injection whatever the names hold."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aihub_notifications.adapters.message import (
    DELIVERY_ID_HEADER,
    InvalidAddress,
    OutgoingMail,
    build_message,
    mailbox,
    parse_sender,
    queued_message,
    sender_header,
)
from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.deliveries import delivery_id, message_id, single_line
from aihub_notifications.domain.mails import ENROLLMENT_CONFIRMED_APPLICANT
from aihub_notifications.domain.samples import sample_request

SENDER = parse_sender("Seoul AI Hub <no-reply@seoulaihub.kr>")
INJECTION = "Mallory\r\nBcc: everyone@attacker.example.com\r\nX-Evil: 1"
EXPECTED_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    DELIVERY_ID_HEADER,
    "Content-Language",
    "Auto-Submitted",
    "Content-Type",
    "MIME-Version",
}


def outgoing(**overrides: str) -> OutgoingMail:
    identity = delivery_id("evt-1", "jane@startup.example.com", ENROLLMENT_CONFIRMED_APPLICANT)
    values = {
        "delivery_id": str(identity),
        "message_id": message_id(identity),
        "locale": "ko",
        "recipient": "jane@startup.example.com",
        "recipient_name": "박지은",
        "subject": "[서울AI허브] Deep Harbor AI — 배치 프로그램 최종 선정 및 참여 확정",
        "text": "안녕하세요.\n",
        "html": "<p>안녕하세요.</p>\n",
        **overrides,
    }
    return OutgoingMail(**values)


def wire(message: EmailMessage) -> tuple[bytes, EmailMessage]:
    """The bytes as they go out in DATA, and what a receiver parses from them."""
    raw = message.as_bytes(policy=policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def header_block(raw: bytes) -> list[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def test_text_part_with_html_alternative_and_all_headers() -> None:
    mail = outgoing()
    sent_at = datetime(2027, 3, 2, 9, 30, tzinfo=UTC)
    raw, parsed = wire(build_message(mail, sender=SENDER, date=sent_at))

    assert parsed.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n") == "안녕하세요.\n"
    assert html is not None
    assert html.get_content().replace("\r\n", "\n") == "<p>안녕하세요.</p>\n"

    assert set(parsed.keys()) == EXPECTED_HEADERS
    assert parsed["From"].addresses[0].addr_spec == "no-reply@seoulaihub.kr"
    assert parsed["From"].addresses[0].display_name == "Seoul AI Hub"
    assert parsed["To"].addresses[0].addr_spec == "jane@startup.example.com"
    assert parsed["To"].addresses[0].display_name == "박지은"
    assert str(parsed["Subject"]) == mail.subject
    assert parsed["Message-ID"] == mail.message_id
    assert parsed[DELIVERY_ID_HEADER] == mail.delivery_id
    assert parsed["Date"].datetime == sent_at
    assert parsed["Content-Language"] == "ko"
    assert all(line.isascii() for line in header_block(raw))  # RFC 2047 for Korean


@pytest.mark.parametrize(
    "hostile",
    [
        INJECTION,
        "Mallory\nBcc: everyone@attacker.example.com",
        "Mallory\rBcc: everyone@attacker.example.com",
        "Mallory\u2028Bcc: everyone@attacker.example.com",
        "Mallory\x85Bcc: everyone@attacker.example.com",
    ],
)
def test_line_breaks_in_names_and_subject_never_make_a_header(hostile: str) -> None:
    # The contracts already refuse such names; the builder must not rely on that.
    mail = outgoing(recipient_name=hostile, subject=f"[Seoul AI Hub] {hostile} confirmed")
    raw, parsed = wire(build_message(mail, sender=SENDER))

    assert set(parsed.keys()) == EXPECTED_HEADERS  # no Bcc, no X-Evil
    assert parsed.get_all("Bcc") is None
    for line in header_block(raw):
        assert not line.lower().startswith((b"bcc:", b"x-evil:"))
    # The one recipient stays the one recipient; the name is just a (one-line) name.
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane@startup.example.com"]
    assert "\n" not in parsed["To"].addresses[0].display_name
    assert "\n" not in str(parsed["Subject"])
    assert "\r" not in str(parsed["Subject"])
    assert "Mallory" in str(parsed["Subject"])


def test_hostile_names_through_rendering_and_building() -> None:
    rendered = MailRenderer().render(
        ENROLLMENT_CONFIRMED_APPLICANT,
        "en",
        {
            "recipient_name": INJECTION,
            "startup_name": INJECTION,
            "program_name": "Batch",
            "program_code": "batch",
            "cohort_code": "batch-1",
            "partner": None,
            "starts_on": None,
            "ends_on": None,
            "application_id": "app-1",
            "seats": 1,
            "seats_taken": 1,
            "agreement_due": None,
        },
    )
    mail = outgoing(
        recipient_name=INJECTION,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        locale="en",
    )
    raw, parsed = wire(build_message(mail, sender=SENDER))
    assert set(parsed.keys()) == EXPECTED_HEADERS
    assert b"\r\nBcc:" not in raw.split(b"\r\n\r\n", 1)[0]


def test_an_address_with_a_line_break_is_refused_not_sent() -> None:
    with pytest.raises(InvalidAddress):
        build_message(
            outgoing(recipient="jane@startup.example.com\r\nBcc: x@attacker.example.com"),
            sender=SENDER,
        )


def test_sender_from_settings() -> None:
    assert parse_sender("no-reply@seoulaihub.kr").addr_spec == "no-reply@seoulaihub.kr"
    with pytest.raises(InvalidAddress):
        parse_sender("Seoul AI Hub")


def decoded(raw: bytes, name: str) -> str:
    """A header as an RFC 2047 reader shows it (white space between encoded-words dropped)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    match = re.search(rf"^{name}:(.*?)\r\n(?=\S)", head + "\r\nEnd: .", re.S | re.M)
    assert match is not None
    return str(make_header(decode_header(match.group(1).strip())))


def test_a_long_korean_subject_keeps_every_space() -> None:
    # CPython's own folder loses the space at a fold between encoded-words: "배치프로그램".
    subject = "[서울AI허브] Deep Harbor AI — 사이버밸리 글로벌 배치 프로그램 최종 선정 및 참여 확정"
    raw, parsed = wire(build_message(outgoing(subject=subject), sender=SENDER))
    assert decoded(raw, "Subject") == subject
    assert str(parsed["Subject"]) == subject
    assert all(len(line) <= 78 for line in header_block(raw))


def test_specials_in_a_display_name_never_make_another_address() -> None:
    name = "Kim, Dr. " + "a" * 60 + " <x@attacker.example.com>; Bcc: y@attacker.example.com"
    raw, parsed = wire(build_message(outgoing(recipient_name=name), sender=SENDER))
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane@startup.example.com"]
    assert decoded(raw, "To") == f"{name} <jane@startup.example.com>"


names = st.text(st.characters(codec="utf-8"), min_size=0, max_size=200).map(single_line)


@settings(max_examples=300, deadline=None)
@given(name=names, subject=names.filter(bool))
def test_any_name_and_subject_arrive_exactly_with_one_recipient(name: str, subject: str) -> None:
    raw, parsed = wire(build_message(outgoing(recipient_name=name, subject=subject), sender=SENDER))
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane@startup.example.com"]
    assert decoded(raw, "Subject") == subject
    expected_to = f"{name} <jane@startup.example.com>" if name else "jane@startup.example.com"
    assert decoded(raw, "To") == expected_to
    assert set(parsed.keys()) == EXPECTED_HEADERS


def test_the_queued_message_is_the_built_one_with_our_from_in_front() -> None:
    """What the sender sends from a queued row: the message built at queue time, 7-bit clean,
    with the From line of MAIL_FROM put in front; a receiver reads the same mail."""
    mail = outgoing()
    sent_at = datetime(2027, 3, 2, 9, 30, tzinfo=UTC)
    queued = queued_message(mail, date=sent_at)
    assert queued is not None
    raw = sender_header(SENDER) + queued
    parsed = email.message_from_bytes(raw, policy=policy.default)
    _, built = wire(build_message(mail, sender=SENDER, date=sent_at))

    assert raw.isascii()  # no 8BITMIME needed: the server takes the bytes as they are
    assert set(parsed.keys()) == EXPECTED_HEADERS
    for name in EXPECTED_HEADERS - {"Content-Type"}:  # its boundary is drawn at random
        assert str(parsed[name]) == str(built[name]), name
    assert parsed.get_content_type() == built.get_content_type()
    for kind in ("plain", "html"):
        ours, theirs = parsed.get_body((kind,)), built.get_body((kind,))
        assert ours is not None
        assert theirs is not None
        assert ours.get_content() == theirs.get_content()


def test_a_non_ascii_address_is_built_when_sent() -> None:
    """It needs SMTPUTF8, which only the server's greeting tells: nothing is queued built."""
    assert queued_message(outgoing(recipient="지은@startup.example.com")) is None


def canonical(text: str) -> str:
    """A text part's content as a reader gets it: line ends made CRLF (MIME's canonical form,
    RFC 2046 §4.1.1) and one at the end; here with LF, as the comparisons normalise."""
    return (b"\n".join(text.encode("utf-8").splitlines()) + b"\n").decode("utf-8")


def read_back(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body_of(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    assert part.get_content_type() == f"text/{kind}"
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def assert_wire_safe(raw: bytes) -> None:
    """7-bit, CRLF only, and no line longer than RFC 5322's 78 characters."""
    assert raw.isascii()
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    assert max(len(line) for line in lines) <= 78


RENDERER = MailRenderer()


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("template", sorted(RENDERER.templates()))
def test_every_template_queued_reads_back_as_the_email_package_builds_it(
    template: str, locale: str
) -> None:
    """The queued bytes are written without the `email` package's generator: parsed back by
    the standard parser, each template in each language is the message `build_message` makes."""
    rendered = RENDERER.render(template, locale, sample_request(template, locale).context)  # type: ignore[arg-type]
    mail = outgoing(
        subject=rendered.subject, text=rendered.text, html=rendered.html, template=template
    )
    sent_at = datetime(2027, 3, 2, 9, 30, tzinfo=UTC)
    queued = queued_message(mail, date=sent_at)
    assert queued is not None
    raw = sender_header(SENDER) + queued
    assert_wire_safe(raw)
    ours = read_back(raw)
    _, built = wire(build_message(mail, sender=SENDER, date=sent_at))
    assert ours.keys() == built.keys()  # the same headers, in the same order
    for name in set(built.keys()) - {"Content-Type"}:  # its boundary is drawn at random
        assert str(ours[name]) == str(built[name]), name
    assert ours.get_content_type() == built.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in ours.iter_parts()] == ["text/plain", "text/html"]
    for kind, text in (("plain", rendered.text), ("html", rendered.html)):
        assert body_of(ours, kind) == body_of(built, kind) == canonical(text)


bodies = st.text(st.characters(codec="utf-8"), max_size=400)


@settings(max_examples=300, deadline=None)
@given(name=names, subject=names.filter(bool), text=bodies, html=bodies)
def test_any_queued_message_arrives_exactly(name: str, subject: str, text: str, html: str) -> None:
    queued = queued_message(outgoing(recipient_name=name, subject=subject, text=text, html=html))
    assert queued is not None
    raw = sender_header(SENDER) + queued
    assert_wire_safe(raw)
    parsed = read_back(raw)
    assert set(parsed.keys()) == EXPECTED_HEADERS
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane@startup.example.com"]
    # As an RFC 2047 reader shows it: the stdlib parser's display_name puts a space between
    # adjacent encoded-words, which RFC 2047 §6.2 says to drop.
    expected_to = f"{name} <jane@startup.example.com>" if name else "jane@startup.example.com"
    assert decoded(raw, "To") == expected_to
    assert decoded(raw, "Subject") == subject
    assert str(parsed["Subject"]) == subject
    assert body_of(parsed, "plain") == canonical(text)
    assert body_of(parsed, "html") == canonical(html)


dot_atoms = st.from_regex(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*", fullmatch=True
)


@settings(max_examples=200, deadline=None)
@given(local=dot_atoms, domain=dot_atoms)
def test_a_plain_address_is_written_as_the_email_parser_reads_it(local: str, domain: str) -> None:
    """`mailbox` skips the parser for dot-atom addresses: the parser agrees with what it makes."""
    address = f"{local}@{domain}"
    assert mailbox("Jane", address).addr_spec == Address(addr_spec=address).addr_spec == address
