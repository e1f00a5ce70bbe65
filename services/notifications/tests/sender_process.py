"""The mail sender alone, as its own OS process, for the crash tests: reads the service's settings
from the environment and the wakeup channel from argv; exits 0 on SIGTERM. A failpoint
(`AIHUB_FAILPOINT`) kills it with SIGKILL at the named moment."""

from __future__ import annotations

import asyncio
import signal
import sys

import asyncpg

from aihub_notifications.adapters.smtp import SmtpTransport
from aihub_notifications.entrypoints.app import sender_config, smtp_config
from aihub_notifications.service_layer.sender import MailSender
from aihub_notifications.settings import Settings
from aihub_shared.runtime.db import create_pool
from aihub_shared.runtime.wakeup import Wakeup


def mail_sender(settings: Settings, pool: asyncpg.Pool, channel: str) -> MailSender:
    """The sender as the service configures it from its settings."""
    return MailSender(
        pool,
        Wakeup(settings.database_dsn, channel, poll_interval=settings.mail_poll_interval_seconds),
        SmtpTransport(smtp_config(settings)),
        sender_config(settings),
    )


async def main(channel: str) -> None:
    settings = Settings()
    pool = await create_pool(settings.database_dsn, max_size=4)
    sender = mail_sender(settings, pool, channel)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(sender.stop()))
    try:
        await sender.run()
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
