"""The notifications service's HTTP API as the console calls it. Each page group adds the calls (and
the models of their documented answers) it needs as separate methods, so additions merge."""

from __future__ import annotations

from aihub_console.adapters.service_api import ServiceApi


class NotificationsApi(ServiceApi):
    """Calls of the notifications service, as the signed-in person."""
