"""Building the MIME message of a delivery: text part plus HTML alternative, safe headers.

Nothing here trusts the stored values to be single-line: names and subjects are collapsed to one
line before they reach a header, and addresses go through `email.headerregistry.Address`, which
refuses an address it cannot write safely.

Non-ASCII header text (Korean subjects and names) is written as RFC 2047 encoded-words by
`encoded_words` below, not by the `email` package's folder: CPython 3.11's folder drops the space
at a fold between two encoded-words ("배치 프로그램" reaches the reader as "배치프로그램"), and the
legacy `email.header.Header` leaves ASCII runs such as "Kim, Dr." unquoted inside a display name,
where a comma starts a second address. Encoding the whole text, cut only between characters,
avoids both.
"""

from __future__ import annotations

import base64
import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
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


def mailbox(display_name: str, address: str) -> Address:
    try:
        return Address(display_name=single_line(display_name), addr_spec=address.strip())
    except (ValueError, HeaderParseError, MessageError) as exc:
        # email.errors.*Defect subclass ValueError or MessageError depending on the defect.
        raise InvalidAddress(f"cannot write the address into a header: {exc}") from exc


def _needs_encoding(text: str) -> bool:
    # "=?" in plain text would be decoded by the reader as if we had encoded it.
    return not text.isascii() or "=?" in text


def _word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded-words of at most `_MAX_WORD` characters, each holding whole
    characters. A reader ignores the folding white space between them (RFC 2047 §6.2), so the
    text comes back exactly, spaces included."""
    words: list[str] = []
    chunk = ""
    for ch in text:
        if chunk and len(_word(chunk + ch)) > _MAX_WORD:
            words.append(_word(chunk))
            chunk = ch
        else:
            chunk += ch
    if chunk:
        words.append(_word(chunk))
    return words


def _set_text(message: EmailMessage, name: str, text: str) -> None:
    value = single_line(text)
    if _needs_encoding(value):
        message.set_raw(name, "\r\n ".join(encoded_words(value)))
    else:
        message[name] = value


def _set_mailbox(message: EmailMessage, name: str, address: Address) -> None:
    """Written by us, never refolded by the policy: CPython drops the quotes of a display name
    when it refolds a long one, and `"Dr. <x@evil.example>"` becomes a second address."""
    display, addr = address.display_name, address.addr_spec
    if not display:
        value = addr
    elif _PLAIN_NAME.fullmatch(display) and len(name) + len(display) + len(addr) + 5 <= 78:
        value = f"{display} <{addr}>"
    else:
        value = "\r\n ".join([*encoded_words(display), f"<{addr}>"])
    message.set_raw(name, value)


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
        _set_mailbox(message, "From", sender)
    _set_mailbox(message, "To", mailbox(mail.recipient_name, mail.recipient))
    _set_text(message, "Subject", mail.subject)
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


#: The queued form's policy: 7-bit parts (quoted-printable or base64), so that the bytes suit a
#: server with or without 8BITMIME and go out as they are.
_QUEUED = policy.SMTP.clone(cte_type="7bit")


def queued_message(mail: OutgoingMail, *, date: datetime | None = None) -> bytes | None:
    """The message as it goes into the SMTP DATA command, less its From header: built when the
    delivery is queued, so that sending is the SMTP conversation alone (building a message with
    the `email` package costs more than sending it). From is the sender's setting, written in
    front when sent (`with_sender`), so a new MAIL_FROM reaches mails already queued; Date is
    the moment the message was ready (RFC 5322 §3.6.1). None for a non-ASCII address: that one
    needs SMTPUTF8, decided when the server is known, and is built when sent."""
    if not mail.recipient.isascii():
        return None
    return build_message(mail, sender=None, date=date, mime_policy=_QUEUED).as_bytes()


def sender_header(sender: Address) -> bytes:
    """The From header line as `build_message` writes it, to put in front of a queued message."""
    message = EmailMessage(policy=_QUEUED)
    _set_mailbox(message, "From", sender)
    return message.as_bytes().rstrip(b"\r\n") + b"\r\n"
