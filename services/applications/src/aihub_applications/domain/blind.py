"""Blind review (pure): what a reviewer who reviews an application only in blind stages sees.

The startup's name becomes a stable anonymous label; its registration number, website, contact
(the founder who applied) and the submission's identifiers are removed; and any text the
reviewer is shown (history reasons, comments) has those values replaced by the label, since a
manager may have typed the name into a reason. What a startup wrote in its free answers is
shown as written: the label cannot hide a name an applicant put into their own text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aihub_shared.contracts.programs import ReviewStage

LABEL_PREFIX = "지원서"  # "application"
#: Top-level fields of an application as staff read it that identify the startup.
IDENTIFYING = ("startup_name", "business_registration_number", "submitted_by", "submission_id")
#: Parts of the submission as sent that identify the startup or its people.
IDENTIFYING_STARTUP = ("name", "business_registration_number", "website")


def anonymous_label(application_id: str) -> str:
    """Stable per application, the same for every reviewer and request."""
    digest = hashlib.sha256(f"aihub-blind:{application_id}".encode()).hexdigest()
    return f"{LABEL_PREFIX} {digest[:6].upper()}"


def reviews_blind(stages: Sequence[ReviewStage], reviewer_stage_codes: Iterable[str]) -> bool:
    """True when every stage the reviewer is assigned the application in is blind (a stage the
    cohort no longer has counts as not blind only if it was never known to be)."""
    blind = {s.code: s.blind for s in stages}
    codes = set(reviewer_stage_codes)
    return bool(codes) and all(blind.get(code, False) for code in codes)


def hidden_values(application: Mapping[str, Any]) -> list[str]:
    """The identifying values of an application (summary or detail), longest first."""
    submission = application.get("submission") or {}
    startup = submission.get("startup") or {}
    contact = submission.get("contact") or {}
    values = [application.get(key) for key in IDENTIFYING]
    values += [startup.get(key) for key in IDENTIFYING_STARTUP]
    values += [contact.get("name"), contact.get("email")]
    found = {str(v) for v in values if v}
    return sorted(found, key=len, reverse=True)


def masked(application: Mapping[str, Any], hidden: Sequence[str]) -> dict[str, Any]:
    """The application as a blind reviewer sees it (`hidden`: its `hidden_values`)."""
    label = anonymous_label(str(application["id"]))
    shown = dict(application)
    for key in IDENTIFYING:
        if key in shown:
            shown[key] = ""
    shown["startup_name"] = label
    shown["anonymous_label"] = label
    if isinstance(shown.get("submission"), Mapping):
        submission = dict(shown["submission"])
        submission.pop("contact", None)
        submission.pop("submission_id", None)
        submission["startup"] = masked_startup(submission.get("startup") or {}, label)
        shown["submission"] = submission
    seen: dict[str, Any] = scrubbed(shown, hidden, label)
    return seen


def masked_startup(startup: Mapping[str, Any], label: str) -> dict[str, Any]:
    """The startup's profile without what identifies it, named by the label."""
    kept = {k: v for k, v in startup.items() if k not in IDENTIFYING_STARTUP}
    return {**kept, "name": label}


def scrubbed(value: Any, hidden: Sequence[str], label: str) -> Any:
    """`value` (text, or mappings and lists of it) with every hidden value replaced by the label."""
    pattern = _pattern(hidden)
    return _scrubbed(value, pattern, label) if pattern else value


def _pattern(hidden: Sequence[str]) -> re.Pattern[str] | None:
    if not hidden:
        return None
    return re.compile("|".join(re.escape(v) for v in hidden), re.IGNORECASE)


def _scrubbed(value: Any, pattern: re.Pattern[str], label: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(label, value)
    if isinstance(value, Mapping):
        return {k: _scrubbed(v, pattern, label) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v, pattern, label) for v in value]
    return value
