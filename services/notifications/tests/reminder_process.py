"""The reminder worker and the mail sender together, as the service runs them, in their own OS
process for the crash tests: the service's settings from the environment, the wakeup channel
from argv, the real clock; exits 0 on SIGTERM. A failpoint (`AIHUB_FAILPOINT`, e.g.
`reminder:after-commit` or `mail:after-smtp`) kills it with SIGKILL at the named moment."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.console_links import ConsoleLinks
from aihub_notifications.service_layer.reminders import ReminderScheduler
from aihub_notifications.settings import Settings
from aihub_shared.runtime.db import create_pool
from services.notifications.tests.sender_process import mail_sender


async def main(channel: str) -> None:
    settings = Settings()
    pool = await create_pool(settings.database_dsn, max_size=4)
    sender = mail_sender(settings, pool, channel)
    reminders = ReminderScheduler(
        pool,
        MailRenderer(links=ConsoleLinks(settings.console_base_url)),
        offsets=settings.reminder_offsets(),
        clock=lambda: datetime.now(UTC),
        poll_seconds=settings.review_reminder_poll_seconds,
    )
    loop = asyncio.get_running_loop()

    async def stop() -> None:
        await reminders.stop()
        await sender.stop()

    loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(stop()))
    try:
        await asyncio.gather(reminders.run(), sender.run())
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
