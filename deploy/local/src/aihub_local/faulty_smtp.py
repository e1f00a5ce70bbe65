"""For tests: a real SMTP server (aiosmtpd) that fails on demand. It answers 4xx or 5xx, stalls,
drops the connection in the middle of a message, requires STARTTLS and AUTH, or is down
altogether — always on the same port, so a sender configured once sees the outage and the
recovery as a real server's clients would.

    server = FaultySmtp()           # picks a free port, not listening yet
    server.up()
    server.fail_rcpt = "451 4.7.1 Try again later"   # or "550 5.1.1 No such user"
    server.fail_for["x@y.example"] = "550 5.1.1 No such user"
    server.drop_data = 2            # the next 2 messages: connection dropped after DATA's content
    server.down()                   # connection refused until up() again
    server.stall_rcpt = 5.0         # answer RCPT only after 5 s (a client timeout)

    FaultySmtp(tls_context=ctx, credentials=("user", "secret"))   # STARTTLS and AUTH required

Thread-safe enough for tests: aiosmtpd runs its loop in a thread; the lists are appended there
and read here after the sender has stopped.
"""

from __future__ import annotations

import asyncio
import email
import ssl
from collections import Counter
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from aihub_local.platform import free_port


class _Handler:
    def __init__(self, owner: FaultySmtp) -> None:
        self._owner = owner

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self._owner.connections.add(tuple(session.peer))
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        owner = self._owner
        if owner.stall_rcpt:
            await asyncio.sleep(owner.stall_rcpt)
        reply = owner.fail_for.get(address) or owner.fail_rcpt or "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        owner = self._owner
        if owner.drop_data > 0:
            owner.drop_data -= 1
            owner.dropped += 1
            server.transport.close()  # the client never hears whether we took it: we did not
            return "451 4.3.0 dropped"  # never reaches the client
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        owner.received.append(message)
        return "250 Message accepted"


class FaultySmtp:
    def __init__(
        self,
        port: int | None = None,
        *,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.stall_rcpt = 0.0
        self.authenticated: list[str] = []
        self._tls_context = tls_context
        self._credentials = credentials
        self.fail_rcpt: str | None = None
        self.fail_for: dict[str, str] = {}
        self.drop_data = 0
        self.dropped = 0
        self.received: list[EmailMessage] = []
        self.connections: set[tuple[Any, ...]] = set()
        self._controller: Controller | None = None

    @property
    def is_up(self) -> bool:
        return self._controller is not None

    def up(self) -> None:
        if self._controller is None:
            secure: dict[str, Any] = {}
            if self._tls_context is not None:
                secure |= {"tls_context": self._tls_context, "require_starttls": True}
            if self._credentials is not None:
                secure |= {
                    "authenticator": self._authenticate,
                    "auth_required": True,
                    "auth_require_tls": self._tls_context is not None,
                }
            self._controller = Controller(
                _Handler(self), hostname=self.host, port=self.port, **secure
            )
            self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self._credentials == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        if ok:
            self.authenticated.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(str(m["Message-ID"]) for m in self.received)
