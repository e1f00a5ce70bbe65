"""What each SMTP failure means for a delivery: retry later, or give up with the reason."""

from __future__ import annotations

import aiosmtplib
import pytest

from aihub_notifications.adapters.message import InvalidAddress
from aihub_notifications.adapters.smtp import SmtpFailure, classify, redact


def refused(code: int, text: str = "no") -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(code, text, "jane@startup.example.com")]
    )


@pytest.mark.parametrize(
    ("exc", "kind", "scope"),
    [
        # 4xx: the server says "not now".
        (refused(451, "4.7.1 Greylisted, try again later"), "transient", "message"),
        (refused(452, "4.2.2 Mailbox full"), "transient", "message"),
        (
            aiosmtplib.SMTPSenderRefused(451, "local error", "no-reply@seoulaihub.kr"),
            "transient",
            "message",
        ),
        (aiosmtplib.SMTPDataError(452, "insufficient storage"), "transient", "message"),
        (aiosmtplib.SMTPResponseException(421, "closing channel"), "transient", "connection"),
        # The connection, not the message.
        (aiosmtplib.SMTPServerDisconnected("Connection lost"), "transient", "connection"),
        (aiosmtplib.SMTPConnectError("Error connecting"), "transient", "connection"),
        (aiosmtplib.SMTPConnectTimeoutError("Timed out connecting"), "transient", "connection"),
        (aiosmtplib.SMTPReadTimeoutError("Timed out waiting"), "transient", "connection"),
        (ConnectionRefusedError(111, "Connection refused"), "transient", "connection"),
        (TimeoutError(), "transient", "connection"),
        # Our configuration, not the message: never burn mails for it.
        (
            aiosmtplib.SMTPAuthenticationError(535, "5.7.8 bad credentials"),
            "transient",
            "connection",
        ),
        (
            aiosmtplib.SMTPSenderRefused(530, "5.7.0 Authentication required", "x"),
            "transient",
            "connection",
        ),
        # 5xx: this message will never go.
        (refused(550, "5.1.1 User unknown"), "permanent", "message"),
        (refused(553, "5.1.3 Bad recipient address syntax"), "permanent", "message"),
        (aiosmtplib.SMTPDataError(554, "5.7.1 Message rejected as spam"), "permanent", "message"),
        (aiosmtplib.SMTPSenderRefused(553, "sender not allowed", "x"), "permanent", "message"),
        (aiosmtplib.SMTPDataError(552, "5.3.4 Message too big"), "permanent", "message"),
        # Addresses that cannot be written at all.
        (InvalidAddress("address parts cannot contain CR or LF"), "permanent", "message"),
        (aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported"), "permanent", "message"),
        (ValueError("Address contains characters that are not allowed"), "permanent", "message"),
        # A bug must not lose a mail: retry (and the log shows the traceback).
        (RuntimeError("boom"), "transient", "message"),
    ],
)
def test_classification(exc: BaseException, kind: str, scope: str) -> None:
    failure = classify(exc)
    assert (failure.kind, failure.scope) == (kind, scope), failure.reason
    assert failure.permanent == (kind == "permanent")


def test_the_reason_keeps_the_server_reply() -> None:
    failure = classify(refused(550, "5.1.1 <jane@startup.example.com>: User\r\n unknown"))
    assert failure == SmtpFailure(
        "permanent", "message", "550 5.1.1 <jane@startup.example.com>: User unknown"
    )


@pytest.mark.parametrize(
    "exc",
    [
        aiosmtplib.SMTPConnectResponseError(554, "No SMTP service here"),
        aiosmtplib.SMTPHeloError(501, "bad HELO"),
        aiosmtplib.SMTPException("Server does not support STARTTLS"),
        aiosmtplib.SMTPAuthenticationError(535, "bad credentials"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_any_failure_while_connecting_is_transient(exc: BaseException) -> None:
    failure = classify(exc, connecting=True)
    assert (failure.kind, failure.scope) == ("transient", "connection")
    assert failure.reason.startswith("cannot use the SMTP server")


def test_redact_masks_addresses_in_server_replies() -> None:
    reply = "550 5.1.1 <jane.doe@startup.example.com>: Recipient address rejected"
    assert redact(reply) == "550 5.1.1 <j***@startup.example.com>: Recipient address rejected"
