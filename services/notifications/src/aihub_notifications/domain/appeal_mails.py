"""Appeals' mails (이의제기), pure. `appeal.filed`: the program's managers (subscription kind
`appeal`) hear that an applicant appealed, with the stage, the reason, who filed it and whether
the figures were asked for, and the button to the application's page where they decide it.
`appeal.decided`: the applicant hears the outcome — upheld or dismissed, the manager's reason,
the stage the application is in review in again, and, when the applicant asked and the cohort
discloses them, the stage's figures (score, cut-off, criteria's averages; never a reviewer).
Staff decided it themselves: no staff mail on the decision."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aihub_notifications.domain.mails import MailRequest, ProgramNames, address_to
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.applications import ApplicationAppeal
from aihub_shared.contracts.values import Contact

APPEAL_DECIDED_APPLICANT = "appeal_decided_applicant"
APPEAL_FILED_MANAGER = "appeal_filed_manager"


def appeal_filed(
    data: ApplicationAppeal, cohort: CohortReplica | None, staff: Sequence[Contact]
) -> list[MailRequest]:
    """To each manager who gets appeals: one mail per appeal, in their language."""
    common = {
        **_about(data, cohort),
        "reason": data.reason,
        # A publishing system files as `intake:<source>`; a manager by their address.
        "filed_by": data.filed_by.removeprefix("intake:"),
        "filed_by_system": data.filed_by.startswith("intake:"),
        "disclosure_requested": data.disclosure_requested,
    }
    return address_to(
        APPEAL_FILED_MANAGER, staff, ProgramNames.of(cohort, data.program_code), common
    )


def appeal_decided(
    data: ApplicationAppeal, cohort: CohortReplica | None, applicant: ApplicantReplica | None
) -> list[MailRequest]:
    if applicant is None:
        return []  # an erased applicant, or one whose arrival has not reached us: nobody to tell
    program = ProgramNames.of(cohort, data.program_code)
    locale = applicant.contact.locale
    disclosure = data.disclosure
    shown = disclosure is not None and disclosure.level != "none"
    common = {
        **_about(data, cohort),
        "outcome": data.status,
        "decision_reason": data.decision_reason,
        "reinstated_stage_name": (
            program.stage_name(data.reinstated_to_stage, locale)
            if data.reinstated_to_stage
            else None
        ),
        "disclosure_requested": data.disclosure_requested,
        "disclosure": disclosure.model_dump() if shown and disclosure else None,
    }
    return address_to(APPEAL_DECIDED_APPLICANT, [applicant.contact], program, common)


def _about(data: ApplicationAppeal, cohort: CohortReplica | None) -> dict[str, Any]:
    """What every appeal mail says of the appeal's application and stage."""
    return {
        "cohort_code": data.cohort_code,
        "partner": cohort.partner if cohort else None,
        "startup_name": data.startup_name,
        "application_id": data.application_id,
        "stage_code": data.stage_code,
    }
