"""What each caller may see of what they may read (whether they may read it is `access.py`).

- Lists: a program manager sees their programs' applications, a reviewer the ones they are
  assigned and did not recuse from; admins everything.
- One application: its managers see everything. A reviewer sees the application's course, and
  of the review only what concerns them: their own reviews and history entries. Who else
  reviews, scores or recused — and whom they replace — stays with the managers.
- A reviewer's sheet (`reviewer_desk.py`): the startup's profile and answers while they review
  it; once they declared a conflict of interest, only their own assignment (with the reason),
  as `GET /applications/{id}` refuses them then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aihub_applications.adapters.history import HistoryEntry
from aihub_shared.identity import Role, StaffPrincipal

#: Who a reviewer is told assigned them when they replace a reviewer who recused.
REPLACEMENT_ACTOR = "reviewer-pool"


@dataclass(frozen=True)
class ListScope:
    """The applications a caller's lists are limited to (None: no limit of that kind)."""

    programs: list[str] | None
    reviewer_id: str | None


def list_scope(staff: StaffPrincipal) -> ListScope:
    return ListScope(
        programs=sorted(staff.programs) if staff.role is Role.PROGRAM_MANAGER else None,
        reviewer_id=staff.id if staff.role is Role.REVIEWER else None,
    )


def history_seen(
    staff: StaffPrincipal, program_code: str, history: list[HistoryEntry]
) -> list[dict[str, Any]]:
    if staff.manages(program_code):
        return [entry.shown() for entry in history]
    seen = (_reviewer_view(entry, staff.id) for entry in history)
    return [entry for entry in seen if entry is not None]


def reviews_seen(
    staff: StaffPrincipal, program_code: str, reviews: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    if staff.manages(program_code):
        return reviews
    return [_own_review(r) for r in reviews if r["reviewer_id"] == staff.id]


#: What a reviewer reads of the submitted startup profile (not the contact person's details).
_PROFILE_FIELDS = ("name", "founded_on", "employees", "website", "ai_field", "description")


def sheet_contents(
    submission: dict[str, Any], *, declared_conflict: str | None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The startup's profile and the answers (key, text) a reviewer's sheet shows."""
    if declared_conflict is not None:
        return {}, []
    startup = submission.get("startup", {})
    profile = {key: startup[key] for key in _PROFILE_FIELDS if startup.get(key) is not None}
    return profile, [(str(k), str(v)) for k, v in submission.get("answers", {}).items()]


def _reviewer_view(entry: HistoryEntry, reviewer_id: str) -> dict[str, Any] | None:
    if entry.action in ("status", "advanced"):
        return entry.shown()
    if entry.action == "assigned":
        if entry.reviewer_id != reviewer_id:
            return None
        return {
            **entry.shown(),
            "reason": f"reviewer {reviewer_id} assigned",
            # A replacement is recorded as done by the reviewer who recused: not theirs to see.
            "actor": REPLACEMENT_ACTOR if entry.replaced_reviewer_id else entry.actor,
        }
    return entry.shown() if entry.actor == reviewer_id else None


def _own_review(review: dict[str, Any]) -> dict[str, Any]:
    """A reviewer's own assignment, minus whom it replaced (who, recusing, also assigned it)."""
    if review["replaces"] is None:
        return review
    return {**review, "replaces": None, "assigned_by": REPLACEMENT_ACTOR}
