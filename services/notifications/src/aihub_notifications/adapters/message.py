"""Building the MIME message of a delivery: text part plus HTML alternative, safe headers.

Nothing here trusts the stored values to be single-line: names and subjects are collapsed to one
line before they reach a header, and addresses go through `email.headerregistry.Address`, which
refuses an address it cannot write safely (a plain dot-atom address, always safe, is given to it
in parts, skipping its full parse).

Non-ASCII header text (Korean subjects and names) is written as RFC 2047 encoded-words by
`encoded_words` below, not by the `email` package's folder: CPython 3.11's folder drops the space
at a fold between two encoded-words ("배치 프로그램" reaches the reader as "배치프로그램"), and the
legacy `email.header.Header` leaves ASCII runs such as "Kim, Dr." unquoted inside a display name,
where a comma starts a second address. Encoding the whole text, cut only between characters,
avoids both.

The message queued with a delivery (`queued_message`) is written directly as bytes from those
header values and the standard library's base64 body encoder, not flattened from an
`EmailMessage`: the `email` package parses and refolds every header through its header
registry, which cost 1.7 ms a message (36 % of the service's CPU in the whole pipeline), for
values that are already final here. `build_message` (an `EmailMessage`, for mails built when
sent) writes the same header values; the tests parse both back with the standard parser.
"""

from __future__ import annotations

import base64
import email.utils
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import base64mime, policy
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from email.message import EmailMessage

from aihub_notifications.domain.deliveries import single_line

DELIVERY_ID_HEADER = "X-AIHub-Delivery-Id"
#: Which template wrote the mail: lets ops and end-to-end tests tell a receipt from a decision.
TEMPLATE_HEADER = "X-AIHub-Template"
# Well under RFC 2047's 75, so that "Subject: " plus one word stays under 78 characters and the
# policy never refolds (and so never re-encodes) what we wrote.
_MAX_WORD = 64
#: RFC 5322 §2.1.1: lines SHOULD be no more than 78 characters.
_MAX_LINE = 78
#: What a 7bit body line may not hold (RFC 2045 §2.7): beyond ASCII, or control characters.
_NOT_7BIT = re.compile(rb"[^\t\n\x20-\x7e]")
# A display name written as it is: words of letters and digits, nothing RFC 5322 treats specially.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")


class InvalidAddress(ValueError):
    """An address that cannot be written into a header or an SMTP command: never deliverable."""


@dataclass(frozen=True)
class OutgoingMail:
    """What the sender needs from a delivery row to write the message."""

    delivery_id: str
    message_id: str
    locale: str
    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str
    template: str = ""


def parse_sender(mail_from: str) -> Address:
    """`Seoul AI Hub <no-reply@seoulaihub.kr>` (or a bare address) from the settings."""
    name, addr = email.utils.parseaddr(mail_from)
    if not addr:
        raise InvalidAddress("MAIL_FROM has no address")
    return mailbox(name, addr)


#: An address of dot-atoms only (RFC 5322 §3.4.1), ASCII: what nearly every address is, and
#: always valid, so it skips the `email` parser's full check (a third of a queued message's cost).
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_SIMPLE_ADDRESS = re.compile(f"({_DOT_ATOM})@({_DOT_ATOM})")


def mailbox(display_name: str, address: str) -> Address:
    try:
        simple = _SIMPLE_ADDRESS.fullmatch(address.strip())
        if simple is not None:
            return Address(single_line(display_name), simple.group(1), simple.group(2))
        return Address(display_name=single_line(display_name), addr_spec=address.strip())
    except (ValueError, HeaderParseError, MessageError) as exc:
        # email.errors.*Defect subclass ValueError or MessageError depending on the defect.
        raise InvalidAddress(f"cannot write the address into a header: {exc}") from exc


def _needs_encoding(text: str) -> bool:
    # "=?" in plain text would be decoded by the reader as if we had encoded it.
    return not text.isascii() or "=?" in text


_WORD_PREFIX = "=?utf-8?b?"
_WORD_SUFFIX = "?="


def _word(text: str) -> str:
    return f"{_WORD_PREFIX}{base64.b64encode(text.encode('utf-8')).decode('ascii')}{_WORD_SUFFIX}"


def _word_length(utf8_bytes: int) -> int:
    """The length of the encoded-word holding that many UTF-8 bytes (base64: 4 per 3, padded)."""
    return len(_WORD_PREFIX) + 4 * ((utf8_bytes + 2) // 3) + len(_WORD_SUFFIX)


def encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded-words of at most `_MAX_WORD` characters, each holding whole
    characters. A reader ignores the folding white space between them (RFC 2047 §6.2), so the
    text comes back exactly, spaces included."""
    words: list[str] = []
    start, size = 0, 0
    for index, ch in enumerate(text):
        width = len(ch.encode("utf-8"))
        if size and _word_length(size + width) > _MAX_WORD:
            words.append(_word(text[start:index]))
            start, size = index, 0
        size += width
    if size:
        words.append(_word(text[start:]))
    return words


def _text_value(name: str, text: str) -> str:
    """A header holding free text (a subject): as it is when plain ASCII that fits on the
    header's line, as encoded-words otherwise (never refolded by anyone)."""
    value = single_line(text)
    if not _needs_encoding(value) and len(name) + 2 + len(value) <= _MAX_LINE:
        return value
    return "\r\n ".join(encoded_words(value))


def _mailbox_value(name: str, address: Address) -> str:
    """Written by us, never refolded by the policy: CPython drops the quotes of a display name
    when it refolds a long one, and `"Dr. <x@evil.example>"` becomes a second address."""
    display, addr = address.display_name, address.addr_spec
    if not display:
        return addr
    if _PLAIN_NAME.fullmatch(display) and len(name) + len(display) + len(addr) + 5 <= _MAX_LINE:
        return f"{display} <{addr}>"
    return "\r\n ".join([*encoded_words(display), f"<{addr}>"])


def build_message(
    mail: OutgoingMail,
    *,
    sender: Address | None,
    date: datetime | None = None,
    mime_policy: policy.EmailPolicy[EmailMessage] = policy.SMTP,
) -> EmailMessage:
    """The message; without a From header when `sender` is None (see `queued_message`)."""
    message = EmailMessage(policy=mime_policy)
    if sender is not None:
        message.set_raw("From", _mailbox_value("From", sender))
    message.set_raw("To", _mailbox_value("To", mailbox(mail.recipient_name, mail.recipient)))
    message.set_raw("Subject", _text_value("Subject", mail.subject))
    message["Date"] = email.utils.format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = single_line(mail.message_id)
    message[DELIVERY_ID_HEADER] = single_line(mail.delivery_id)
    if mail.template:
        message[TEMPLATE_HEADER] = single_line(mail.template)
    # RFC 3834: an automatic message; out-of-office responders should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    # After the parts: turning the message into multipart/alternative moves Content-* headers
    # into the first part.
    message["Content-Language"] = single_line(mail.locale)
    return message


def queued_message(mail: OutgoingMail, *, date: datetime | None = None) -> bytes | None:
    """The message as it goes into the SMTP DATA command, less its From header: built when the
    delivery is queued, so that sending is the SMTP conversation alone. From is the sender's
    setting, written in front when sent (`sender_header`), so a new MAIL_FROM reaches mails
    already queued; Date is the moment the message was ready (RFC 5322 §3.6.1). 7-bit clean
    (a part is 7bit when it is short-lined ASCII, base64 otherwise), so the bytes suit a server
    with or without 8BITMIME and go out as they are. None for a non-ASCII address: that one
    needs SMTPUTF8, decided when the server is known, and is built when sent."""
    if not mail.recipient.isascii():
        return None
    parts = [_text_part(mail.text, "plain"), _text_part(mail.html, "html")]
    boundary = _boundary(parts)
    head = [
        ("To", _mailbox_value("To", mailbox(mail.recipient_name, mail.recipient))),
        ("Subject", _text_value("Subject", mail.subject)),
        ("Date", email.utils.format_datetime(date or datetime.now(UTC))),
        ("Message-ID", single_line(mail.message_id)),
        (DELIVERY_ID_HEADER, single_line(mail.delivery_id)),
        *([(TEMPLATE_HEADER, single_line(mail.template))] if mail.template else []),
        # RFC 3834: an automatic message; out-of-office responders should not answer it.
        ("Auto-Submitted", "auto-generated"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative;\r\n boundary="{boundary}"'),
        ("Content-Language", single_line(mail.locale)),
    ]
    lines = [f"{name}: {value}\r\n" for name, value in head]
    lines.append("\r\n")
    for part in parts:
        lines.append(f"--{boundary}\r\n{part}\r\n")
    lines.append(f"--{boundary}--\r\n")
    # Every value is ASCII by construction; a stray character is a bug, not a mail.
    return "".join(lines).encode("ascii")


def _text_part(text: str, subtype: str) -> str:
    """A text part in MIME's canonical form (CRLF line ends, one at the end, RFC 2046 §4.1.1):
    7bit when it is printable ASCII in short lines, else base64 by the standard library's
    encoder (76-character lines)."""
    lines = text.encode("utf-8").splitlines()
    canonical = b"\r\n".join(lines) + b"\r\n"
    if not _NOT_7BIT.search(b"\n".join(lines)) and all(len(line) <= _MAX_LINE for line in lines):
        encoding, body = "7bit", canonical.decode("ascii")
    else:
        encoding, body = "base64", base64mime.body_encode(canonical, eol="\r\n")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n{body}"
    )


def _boundary(parts: list[str]) -> str:
    """A random boundary that no part contains (RFC 2046 §5.1.1)."""
    while True:
        boundary = f"=_aihub_{secrets.token_hex(16)}"
        if not any(boundary in part for part in parts):
            return boundary


def sender_header(sender: Address) -> bytes:
    """The From header line as `build_message` writes it, to put in front of a queued message."""
    return f"From: {_mailbox_value('From', sender)}\r\n".encode("ascii")
