"""The navigation bar: links each page group adds with one line, each with who could use it.
Hiding a link is a convenience only: every page works from what the services answer, so a link
shown to someone the services refuse leads to the service's reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aihub_console.domain.people import Person
from aihub_console.entrypoints.i18n import N_


@dataclass(frozen=True)
class NavLink:
    path: str
    #: A msgid of the catalogs.
    label: str
    shown_to: Callable[[Person], bool] = lambda person: True


NAV_LINKS: list[NavLink] = [
    NavLink("/reviews", N_("My reviews")),
    # Program managers and admins: which cohorts is the applications service's answer.
    NavLink("/cohorts", N_("Cohorts")),
]


def links_for(person: Person | None) -> list[NavLink]:
    if person is None:
        return []
    return [link for link in NAV_LINKS if link.shown_to(person)]
