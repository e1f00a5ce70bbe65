"""A real SMTP server (aiosmtpd) that stores every message it receives into a Maildir.

Run: ``python -m aihub_local.smtp_capture --port 1025 --maildir DIR [--host 127.0.0.1]``.

Each message is stored byte for byte as received in DATA, preceded by lines recording the SMTP
envelope, the way an MTA prepends ``Return-Path``/``Delivered-To``:

    X-Envelope-From: <MAIL FROM address, empty for a bounce>
    X-Envelope-To: <one header per RCPT TO address>

so ``mailbox.Maildir(DIR)`` gives ``email.message.Message`` objects whose headers are the sent
ones plus those. No AUTH and no TLS: it accepts mail for any recipient and relays nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import mailbox
import signal
import smtplib
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

ENVELOPE_FROM_HEADER = "X-Envelope-From"
ENVELOPE_TO_HEADER = "X-Envelope-To"


def envelope_header_lines(mail_from: str | None, rcpt_tos: list[str]) -> bytes:
    """The header lines prepended to a stored message (UTF-8 for SMTPUTF8 addresses)."""
    lines = [f"{ENVELOPE_FROM_HEADER}: {mail_from or ''}"]
    lines += [f"{ENVELOPE_TO_HEADER}: {rcpt}" for rcpt in rcpt_tos]
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


class MaildirCapture:
    """aiosmtpd handler: every accepted message goes to the Maildir."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = mailbox.Maildir(maildir, factory=None, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content
        stored = envelope_header_lines(envelope.mail_from, list(envelope.rcpt_tos)) + raw
        key = self.maildir.add(stored)
        print(
            f"stored {key}: from={envelope.mail_from!r} to={list(envelope.rcpt_tos)!r} "
            f"bytes={len(raw)}",
            flush=True,
        )
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, maildir: Path) -> None:
    handler = MaildirCapture(maildir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="aihub-smtp-capture",
            ident="aihub-local SMTP capture",
            enable_SMTPUTF8=True,
            decode_data=False,
        ),
        host=host,
        port=port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"SMTP capture listening on {host}:{port}, storing into Maildir {maildir}", flush=True)
    await stop.wait()
    server.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(server.wait_closed(), timeout=5)
    print("SMTP capture stopped", flush=True)


def smtp_accepts(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when an SMTP server greets and answers NOOP on ``host:port``."""
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            code, _ = client.noop()
            return code == 250
    except (OSError, smtplib.SMTPException):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.maildir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
