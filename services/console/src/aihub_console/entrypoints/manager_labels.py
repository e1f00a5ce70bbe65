"""Words the manager pages show for the services' codes (statuses, tie-break rules), as msgids
of the catalogs: a person reads 심사 중, never `received`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from aihub_console.entrypoints.i18n import N_
from aihub_console.entrypoints.pages import render

STATUS_LABELS = {
    "received": N_("In review"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "ineligible": N_("Ineligible"),
    "enrolled": N_("Enrolled"),
    "waitlisted": N_("Waitlisted"),
    "agreement_signed": N_("Agreement signed"),
    "cancelled": N_("Cancelled"),
    "confirmed": N_("Seat confirmed"),
}

TIE_BREAK_LABELS = {
    "stage_score": N_("tie broken by the %(stage)s score"),
    "earlier_submission": N_("tie broken by the earlier submission"),
    "application_id": N_("tie broken by the application id"),
}

HISTORY_LABELS = {
    "status": N_("Status changed"),
    "advanced": N_("Advanced"),
    "assigned": N_("Reviewer assigned"),
    "scored": N_("Scored"),
    "conflict": N_("Conflict of interest"),
    # the selection rules (issue 14)
    "challenged": N_("Reviewer challenged"),
    "challenge_upheld": N_("Challenge upheld"),
    "challenge_dismissed": N_("Challenge dismissed"),
    "bonus_granted": N_("Bonus item granted"),
    "bonus_revoked": N_("Bonus item taken back"),
    "appealed": N_("Appeal filed"),
    "appeal_upheld": N_("Appeal upheld"),
    "appeal_dismissed": N_("Appeal dismissed"),
    "reinstated": N_("Back in review"),
}

CHALLENGE_LABELS = {
    "open": N_("Open: scores do not count"),
    "upheld": N_("Upheld"),
    "dismissed": N_("Dismissed"),
}

APPEAL_LABELS = {
    "open": N_("Open"),
    "upheld": N_("Upheld"),
    "dismissed": N_("Dismissed"),
}


def manager_labels() -> dict[str, dict[str, str]]:
    """What every manager template gets: `labels.status[code]` is a msgid to translate."""
    return {
        "status": STATUS_LABELS,
        "tie_break": TIE_BREAK_LABELS,
        "history": HISTORY_LABELS,
        "challenge": CHALLENGE_LABELS,
        "appeal": APPEAL_LABELS,
    }


def manager_page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """`render` with the labels every manager template reads."""
    return render(request, template, {"labels": manager_labels(), **context}, status=status)
