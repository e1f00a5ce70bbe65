"""Where each staff mail sends its reader: the staff console's page for exactly that thing.

The one place that builds console URLs (the console's URL map: `services/console/README.md`).
Templates call these through the renderer's `console` global; nothing else spells a console
path. Path segments and query values are percent-encoded, so a code or topic can never change
which page a link opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

#: Where `./dev up` serves the console (the port the realm's `aihub-console` client allows).
DEFAULT_CONSOLE_BASE_URL = "http://127.0.0.1:8010"


@dataclass(frozen=True)
class ConsoleLinks:
    base_url: str = DEFAULT_CONSOLE_BASE_URL

    def _page(self, *segments: str, query: dict[str, str] | None = None) -> str:
        path = "".join("/" + quote(str(s), safe="") for s in segments)
        url = self.base_url.rstrip("/") + (path or "/")
        return f"{url}?{urlencode(query)}" if query else url

    def review(self, application_id: object) -> str:
        """The reviewer's scoring page of one application."""
        return self._page("reviews", str(application_id))

    def application(self, application_id: object) -> str:
        """One application with its history, as a manager sees it."""
        return self._page("applications", str(application_id))

    def cohorts(self) -> str:
        return self._page("cohorts")

    def cohort(self, cohort_code: str) -> str:
        """A cohort's pipeline."""
        return self._page("cohorts", cohort_code)

    def cohort_applications(self, cohort_code: str) -> str:
        """A cohort's applications table (where a grouped mail's unlisted ones are)."""
        return self._page("cohorts", cohort_code, "applications")

    def cohort_enrollments(self, cohort_code: str) -> str:
        return self._page("cohorts", cohort_code, "enrollments")

    def dead_letters(self, dlq_topic: str) -> str:
        """The dead letters of one dead-letter topic (`<topic>.dlq`)."""
        return self._page("ops", "dead-letters", query={"topic": dlq_topic})
