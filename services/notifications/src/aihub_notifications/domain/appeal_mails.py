"""The applicant's mail on an appeal's outcome (이의제기, `appeal.decided`), pure: upheld or
dismissed, the manager's reason, the stage the application is in review in again, and — when the
applicant asked and the cohort discloses them — the stage's figures (score, cut-off, criteria's
averages; never a reviewer). Staff decided it themselves: no staff mail."""

from __future__ import annotations

from aihub_notifications.domain.mails import MailRequest, ProgramNames, address_to
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.applications import ApplicationAppeal

APPEAL_DECIDED_APPLICANT = "appeal_decided_applicant"


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
        "cohort_code": data.cohort_code,
        "partner": cohort.partner if cohort else None,
        "startup_name": data.startup_name,
        "application_id": data.application_id,
        "stage_code": data.stage_code,
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
