"""Why an enrollment ended: each rule writes its own fixed beginning of the reason (a staff
member's words come only after it), so the cause can be read back from the reason."""

from __future__ import annotations

from aihub_shared.contracts.programs import CancellationCause

WITHDRAWN = "withdrawn by the applicant"
DEADLINE_PASSED = "agreement deadline passed"
COHORT_ENDED = "the cohort has ended"
AGREEMENT_GIVEN_UP = "agreement given up"
CANCELLED_BY = "cancelled by "

#: The longest reason `enrollment.cancelled` carries: a 2000-character withdrawal or
#: cancellation reason plus who and why must still free the seat, so the end is cut instead.
MAX_REASON = 2000


def cancellation_cause(reason: str | None) -> CancellationCause | None:
    """Which rule ended an enrollment, from the reason the operation recorded (each rule writes
    its own fixed beginning; a staff member's words come only after it)."""
    if reason is None:
        return None
    if reason.startswith(WITHDRAWN):
        return "withdrawn"
    if reason.startswith(AGREEMENT_GIVEN_UP + ":"):
        return "agreement_given_up"
    if reason.startswith(CANCELLED_BY):
        return "cancelled_by_staff"
    if reason == DEADLINE_PASSED:
        return "agreement_deadline_passed"
    if reason == COHORT_ENDED:
        return "cohort_ended"
    return None


def kept_reason(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
