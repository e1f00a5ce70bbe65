"""The calls the pages of the selection rules make (issue 14: the reviewer pledge, challenges
of reviewers, bonus points, the panel's external share), as functions of the services'
clients, with the console's models of their documented answers (applications'
`PledgeAnswer`, `ChallengeView`, `ChallengeOut`, `ApplicationBonusView`, `PanelCheckView`;
programs' `CohortDetail` for the cohort's bonus items and cap)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from aihub_console.adapters.applications_api import ApplicationsApi
from aihub_console.adapters.programs_api import ProgramsApi


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Pledge(_Answer):
    stage_code: str
    required: bool
    version: str
    text: dict[str, str]
    accepted_at: datetime | None


class Challenge(_Answer):
    challenge_id: uuid.UUID
    application_id: uuid.UUID
    startup_name: str
    stage_code: str
    reviewer_id: str
    reviewer_name: str
    reason: str
    filed_by: str
    filed_at: datetime
    status: str
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class ChallengeOutcome(_Answer):
    challenge_id: uuid.UUID
    status: str
    replacement: str | None = None


class BonusGrant(_Answer):
    item_code: str
    reason: str
    granted_by: str
    granted_at: datetime


class ApplicationBonus(_Answer):
    granted: list[BonusGrant]
    total: float


class BonusItem(_Answer):
    code: str
    name_ko: str
    name_en: str
    points: float

    @property
    def name(self) -> dict[str, str]:
        return {"ko": self.name_ko, "en": self.name_en}


class CohortBonus(_Answer):
    """The cohort's bonus items and their cap, from programs' `GET /cohorts/{code}`."""

    bonus_items: list[BonusItem] = []
    bonus_cap: float | None = None


class PanelCheck(_Answer):
    stage_code: str
    reviewers: int
    external: int
    share: float
    min_external_share: float | None
    satisfied: bool


# -- the reviewer pledge (평가위원 서약) -------------------------------------------------------


async def pledge(api: ApplicationsApi, cohort_code: str, stage_code: str) -> Pledge:
    return await api.call("GET", f"/cohorts/{cohort_code}/stages/{stage_code}/pledge", Pledge)


async def accept_pledge(api: ApplicationsApi, cohort_code: str, stage_code: str) -> Pledge:
    return await api.call("POST", f"/cohorts/{cohort_code}/stages/{stage_code}/pledge", Pledge)


# -- challenges of reviewers (기피 신청) --------------------------------------------------------


async def challenges(
    api: ApplicationsApi,
    cohort_code: str,
    *,
    status: str | None = None,
    application_id: str | None = None,
) -> list[Challenge]:
    params = {"status": status, "application_id": application_id}
    query = {k: v for k, v in params.items() if v is not None}
    path = f"/cohorts/{cohort_code}/challenges"
    return await api.call("GET", path, list[Challenge], params=query)


async def file_challenge(
    api: ApplicationsApi, application_id: str, stage_code: str, reviewer_id: str, reason: str
) -> ChallengeOutcome:
    path = f"/applications/{application_id}/stages/{stage_code}/challenges"
    body = {"reviewer_id": reviewer_id, "reason": reason}
    return await api.call("POST", path, ChallengeOutcome, json=body)


async def decide_challenge(
    api: ApplicationsApi, challenge_id: str, outcome: str, reason: str
) -> ChallengeOutcome:
    path = f"/challenges/{challenge_id}/decision"
    body = {"outcome": outcome, "reason": reason}
    return await api.call("POST", path, ChallengeOutcome, json=body)


# -- bonus points (가점) -----------------------------------------------------------------------


async def cohort_bonus(api: ProgramsApi, cohort_code: str) -> CohortBonus:
    return await api.call("GET", f"/cohorts/{cohort_code}", CohortBonus)


async def application_bonus(api: ApplicationsApi, application_id: str) -> ApplicationBonus:
    return await api.call("GET", f"/applications/{application_id}/bonus-points", ApplicationBonus)


async def change_bonus(
    api: ApplicationsApi, application_id: str, item_code: str, reason: str, *, grant: bool
) -> None:
    path = f"/applications/{application_id}/bonus-points/{item_code}"
    if grant:
        await api.call_no_content("PUT", path, json={"reason": reason})
    else:
        await api.call_no_content("POST", f"{path}/revocation", json={"reason": reason})


# -- the panel's external share (외부 평가위원) --------------------------------------------------


async def panel_check(api: ApplicationsApi, cohort_code: str, stage_code: str) -> PanelCheck:
    return await api.call("GET", f"/cohorts/{cohort_code}/stages/{stage_code}/panel", PanelCheck)


# -- agreement give-up (협약 포기) ----------------------------------------------------------------


async def give_up_agreement(api: ProgramsApi, application_id: str, reason: str) -> None:
    """The startup holding a seat gives up its agreement: the next reserve rank takes it."""
    path = f"/enrollments/{application_id}/agreement/give-up"
    await api.call_no_content("POST", path, json={"reason": reason})
