"""Sending through one reused aiosmtplib connection, and what an SMTP failure means.

The classification decides a delivery's fate:

* transient — try again later with backoff: any 4xx reply, a refused or dropped connection, a
  timeout. Also failures while connecting, greeting, starting TLS or logging in, whatever their
  code: those say the server or our configuration is broken, not this message, so no message is
  given up for them (ops fix the configuration; the mails then leave).
* permanent — never retry: a 5xx reply to MAIL FROM, RCPT TO or DATA (unknown mailbox, rejected
  content, policy), or an address that cannot be written at all. The reply says why.

`scope == "connection"` additionally tells the sender that the server itself is unavailable, so it
should not try the next message at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, SMTPProtocol, normalize_message_line_endings

from aihub_notifications.adapters.message import InvalidAddress
from aihub_shared.runtime.logging import mask_email

FailureKind = Literal["transient", "permanent"]
FailureScope = Literal["message", "connection"]

# 5xx replies that mean "authenticate first" / "credentials wrong": our configuration, not the mail.
_AUTH_CODES = frozenset({530, 534, 535, 538})
_CONNECTION_LOST = (
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPTimeoutError,
)
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


@dataclass(frozen=True)
class SmtpFailure:
    kind: FailureKind
    scope: FailureScope
    reason: str

    @property
    def permanent(self) -> bool:
        return self.kind == "permanent"


class SmtpSendError(Exception):
    def __init__(self, failure: SmtpFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def redact(text: str) -> str:
    """Server replies often quote the recipient; logs get `k***@example.com` instead."""
    return _ADDRESS.sub(lambda m: mask_email(m.group(0)), text)


def _reply(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}"[:1000]


def classify(exc: BaseException, *, connecting: bool = False) -> SmtpFailure:
    """What an exception raised while connecting (`connecting`) or sending one message means."""
    if connecting:
        detail = (
            _reply(exc.code, exc.message)
            if isinstance(exc, aiosmtplib.SMTPResponseException)
            else _describe(exc)
        )
        return SmtpFailure("transient", "connection", f"cannot use the SMTP server: {detail}")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        # We send one recipient per message, so this is that recipient's reply.
        return classify(exc.recipients[0])
    if isinstance(exc, _CONNECTION_LOST):
        return SmtpFailure("transient", "connection", _describe(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reply = _reply(exc.code, exc.message)
        if exc.code == 421:  # "service not available, closing transmission channel"
            return SmtpFailure("transient", "connection", reply)
        if 400 <= exc.code < 500:
            return SmtpFailure("transient", "message", reply)
        if exc.code in _AUTH_CODES or isinstance(
            exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPHeloError
        ):
            return SmtpFailure("transient", "connection", reply)
        if 500 <= exc.code < 600:
            return SmtpFailure("permanent", "message", reply)
        return SmtpFailure("transient", "message", f"unexpected reply {reply}")
    if isinstance(exc, InvalidAddress):
        return SmtpFailure("permanent", "message", f"invalid recipient: {exc}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        # Raised before MAIL FROM, e.g. a non-ASCII address and a server without SMTPUTF8.
        return SmtpFailure("permanent", "message", f"invalid recipient for this server: {exc}")
    if isinstance(exc, ValueError):
        # aiosmtplib refuses addresses it cannot put on an SMTP command line.
        return SmtpFailure("permanent", "message", f"invalid recipient: {exc}")
    if isinstance(exc, OSError | TimeoutError):
        return SmtpFailure("transient", "connection", _describe(exc))
    return SmtpFailure("transient", "message", f"unexpected error: {_describe(exc)}")


def _data_content(message: bytes) -> bytes:
    """The message as the DATA command carries it, without the line that ends it: lines ended by
    CRLF, a line starting with a period doubled (RFC 5321 §4.5.2), as aiosmtplib's `data` does."""
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message))


def _protocol(client: aiosmtplib.SMTP) -> SMTPProtocol:
    """The connection's protocol, for the DATA command split around the attempt's commit
    (aiosmtplib's `data` sends the content and its end in one go)."""
    if client.protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    return client.protocol


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:1000] if text else type(exc).__name__


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 15.0
    #: CA bundle to verify the server's certificate with (None: the system's).
    ca_file: str | None = None
    #: A connection idle longer than this is checked with NOOP before reuse: servers drop idle
    #: clients, and a stale socket must not count as a failed attempt of the next message.
    idle_check_seconds: float = 10.0


class SmtpTransport:
    """One SMTP connection, opened on first use and kept for the next message."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._client: aiosmtplib.SMTP | None = None
        self._last_used = 0.0

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def _ready(self) -> aiosmtplib.SMTP:
        client = self._client
        if client is not None and client.is_connected:
            if time.monotonic() - self._last_used < self._config.idle_check_seconds:
                return client
            try:
                await client.noop()
                return client
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                await self.drop()
        elif client is not None:
            await self.drop()
        config = self._config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            start_tls=config.starttls,  # explicit: never a silent opportunistic upgrade
            timeout=config.timeout_seconds,
            cert_bundle=config.ca_file,
        )
        try:
            await client.connect()
        except Exception as exc:
            client.close()
            raise SmtpSendError(classify(exc, connecting=True)) from exc
        self._client = client
        return client

    async def send(self, message: EmailMessage | bytes, *, sender: str, recipient: str) -> None:
        """Hand one message for one recipient to the server; `SmtpSendError` says what failed.
        Bytes go as they are (a queued message, 7-bit clean); a message object is flattened
        for what the server supports."""
        client = await self._ready()
        try:
            if isinstance(message, bytes):
                await client.sendmail(sender, [recipient], message)
            else:
                await client.send_message(message, sender=sender, recipients=[recipient])
        except Exception as exc:
            failure = classify(exc)
            if not failure.permanent:
                await self.drop()
            raise SmtpSendError(failure) from exc
        finally:
            self._last_used = time.monotonic()

    async def offer(self, message: bytes, *, sender: str, recipient: str) -> None:
        """MAIL FROM, RCPT TO, DATA and the message's content, all but the line that ends it:
        the server holds the message without having taken it. Then `hand_over` ends it (the
        server takes it, or refuses it), or `withdraw` takes it back. For a message already
        built as 7-bit bytes and ASCII addresses (a queued one); `SmtpSendError` says what
        failed, and nothing is offered then.

        Why the content may go before the attempt is recorded: a server takes responsibility
        for a message only with its reply to the end of the data (RFC 5321 §4.1.1.4), and a
        connection that closes before that end cancels the transaction, delivering nothing
        (§3.8). So a crash, or a `withdraw`, while the message is held hands nothing over."""
        client = await self._ready()
        try:
            options = [f"SIZE={len(message)}"] if client.supports_extension("size") else []
            await client.mail(sender, options=options)
            await client.rcpt(recipient)
            protocol = _protocol(client)
            protocol.write(b"DATA\r\n")
            # The content is prepared while the server answers DATA. Nothing yields to the loop
            # before the read below is awaited, so the reply cannot arrive unexpected (aiosmtplib
            # drops data that comes while no read is pending).
            content = _data_content(message)
            reply = await protocol.read_response(timeout=self._config.timeout_seconds)
            if reply.code != aiosmtplib.SMTPStatus.start_input:
                raise aiosmtplib.SMTPDataError(reply.code, reply.message)
            protocol.write(content)
        except Exception as exc:
            raise await self._failed(client, exc) from exc

    async def hand_over(self) -> None:
        """End the data of the message `offer` left held: the server takes it, or not."""
        client = self._client  # as `offer` left it: a NOOP now would be a line of the message
        if client is None:
            raise SmtpSendError(classify(aiosmtplib.SMTPServerDisconnected("Connection lost")))
        try:
            protocol = _protocol(client)
            protocol.write(b".\r\n")
            # Awaited at once, before the loop can deliver the reply: aiosmtplib drops data
            # that arrives while no read is pending.
            reply = await protocol.read_response(timeout=self._config.timeout_seconds)
            if reply.code != aiosmtplib.SMTPStatus.completed:
                raise aiosmtplib.SMTPDataError(reply.code, reply.message)
        except Exception as exc:
            raise await self._failed(client, exc) from exc
        finally:
            self._last_used = time.monotonic()

    async def withdraw(self) -> None:
        """Take back the message `offer` left held, nothing handed over. The data cannot be
        ended without handing the message over (RSET would be read as a line of it), so the
        connection is dropped: the server cancels the transaction (RFC 5321 §3.8)."""
        await self.drop()

    async def reset(self) -> None:
        """Withdraw an accepted envelope (RSET), nothing handed over."""
        client = self._client
        if client is None:
            return
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            await self.drop()

    async def _failed(self, client: aiosmtplib.SMTP, exc: Exception) -> SmtpSendError:
        """What an exception in the middle of a message means; the envelope is reset for the
        next message (a refusal), or the connection dropped (anything else)."""
        failure = classify(exc)
        if failure.permanent and client.is_connected:
            await self.reset()
        else:
            await self.drop()
        return SmtpSendError(failure)

    async def drop(self) -> None:
        """Forget the connection without talking to the server (it may be gone)."""
        if self._client is not None:
            self._client.close()
        self._client = None

    async def close(self) -> None:
        """Say goodbye politely if the connection is still up."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                await asyncio.wait_for(client.quit(), timeout=self._config.timeout_seconds)
        if client is not None:
            client.close()
