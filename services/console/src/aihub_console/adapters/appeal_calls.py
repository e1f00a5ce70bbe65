"""The calls of the appeals pages (이의제기, issue 14 rule 9) as functions of the applications
service's client, with the console's models of its documented answers (`AppealOut`,
`ApplicationAppealsOut`, `StageDisclosure`, and the cohort's list `CohortAppealOut`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from aihub_console.adapters.applications_api import ApplicationsApi


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CriterionDisclosure(_Answer):
    code: str
    name_ko: str
    name_en: str
    average: float
    cutoff: float | None = None

    @property
    def name(self) -> dict[str, str]:
        return {"ko": self.name_ko, "en": self.name_en}


class Disclosure(_Answer):
    """What the applicant is told about the stage (the cohort's `appeal_disclosure`)."""

    stage_code: str
    level: str
    stage_score: float | None = None
    cutoff_score: float | None = None
    criteria: list[CriterionDisclosure] = []


class Appeal(_Answer):
    appeal_id: uuid.UUID
    application_id: uuid.UUID
    stage_code: str
    status: str
    reason: str
    disclosure_requested: bool
    filed_by: str
    filed_at: datetime
    decision_at: datetime
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    reinstated_to_stage: str | None
    disclosure: Disclosure | None
    #: In the cohort's list only.
    startup_name: str | None = None


class ApplicationAppeals(_Answer):
    #: Until when the latest rejection may be appealed; None: it may not be.
    appealable_until: datetime | None
    appeals: list[Appeal]


async def cohort_appeals(
    api: ApplicationsApi, cohort_code: str, status: str | None = None
) -> list[Appeal]:
    params = {"status": status} if status else None
    return await api.call("GET", f"/cohorts/{cohort_code}/appeals", list[Appeal], params=params)


async def application_appeals(api: ApplicationsApi, application_id: str) -> ApplicationAppeals:
    path = f"/applications/{application_id}/appeals"
    return await api.call("GET", path, ApplicationAppeals)


async def file_appeal(
    api: ApplicationsApi, application_id: str, reason: str, *, disclose: bool
) -> Appeal:
    body = {"reason": reason, "disclose": disclose}
    return await api.call("POST", f"/applications/{application_id}/appeals", Appeal, json=body)


async def decide_appeal(api: ApplicationsApi, appeal_id: str, outcome: str, reason: str) -> Appeal:
    body = {"outcome": outcome, "reason": reason}
    return await api.call("POST", f"/appeals/{appeal_id}/decision", Appeal, json=body)
