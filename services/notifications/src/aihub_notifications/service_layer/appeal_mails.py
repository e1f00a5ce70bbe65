"""`appeal.filed` (이의제기): the program's managers who get appeals are told, each in their
language, with the button to the application's page where they uphold or dismiss it."""

from __future__ import annotations

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.appeal_mails import appeal_filed
from aihub_notifications.domain.staff import MailKind
from aihub_notifications.service_layer.mailing import cohort_replica, queue_mails, staff_for
from aihub_shared.contracts.applications import ApplicationAppeal
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.runtime.consumer import Handler
from aihub_shared.runtime.db import DbConnection


def appeal_filed_handler(renderer: MailRenderer) -> Handler:
    async def appeal_filed_mails(
        conn: DbConnection, event: CloudEvent, data: ApplicationAppeal
    ) -> None:
        cohort = await cohort_replica(conn, data.cohort_code)
        staff = await staff_for(conn, MailKind.APPEAL, cohort)
        await queue_mails(conn, event, appeal_filed(data, cohort, staff), renderer)

    return appeal_filed_mails
