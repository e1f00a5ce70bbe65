"""What the pages of the selection rules show beside a manager's application: its challenges
of reviewers (기피 신청) and which reviews they keep from counting while open, its bonus points
(가점) against the cohort's items and cap, its appeals (이의제기). Every figure and every rule
is the services'; this module asks them at once and arranges their answers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aihub_console.adapters import rule_calls as calls
from aihub_console.adapters.appeal_calls import ApplicationAppeals, application_appeals
from aihub_console.adapters.applications_api import ApplicationsApi
from aihub_console.adapters.manager_views import ApplicationDetail, Review
from aihub_console.adapters.programs_api import ProgramsApi
from aihub_console.adapters.service_api import ServiceRefusal


@dataclass(frozen=True)
class ApplicationRules:
    stage_code: str
    challenges: list[calls.Challenge]
    #: (stage, reviewer) of each open challenge: those reviews do not count while it is open.
    not_counting: frozenset[tuple[str, str]]
    #: Reviewers of the current stage who may be challenged (assigned, not recused).
    challengeable: list[Review]
    bonus_items: list[calls.BonusItem]
    bonus_cap: float | None
    bonus: calls.ApplicationBonus
    #: Its appeals (이의제기) and until when its latest rejection may be appealed.
    appeals: ApplicationAppeals

    @property
    def open_challenges(self) -> list[calls.Challenge]:
        return [c for c in self.challenges if c.status == "open"]

    @property
    def grants(self) -> dict[str, calls.BonusGrant]:
        return {g.item_code: g for g in self.bonus.granted}


async def application_rules(
    applications: ApplicationsApi,
    programs: ProgramsApi,
    detail: ApplicationDetail,
    stage_code: str,
) -> ApplicationRules | None:
    """The rules' side of a manager's application page; None when the services do not show
    it to this person (a reviewer reading the application: 403)."""
    application_id = str(detail.id)
    try:
        found, bonus, cohort, appeals = await asyncio.gather(
            calls.challenges(applications, detail.cohort_code, application_id=application_id),
            calls.application_bonus(applications, application_id),
            calls.cohort_bonus(programs, detail.cohort_code),
            application_appeals(applications, application_id),
        )
    except ServiceRefusal as refusal:
        if refusal.status == 403:
            return None
        raise
    return ApplicationRules(
        stage_code=stage_code,
        challenges=found,
        not_counting=open_challenged(found),
        challengeable=[
            r for r in detail.reviews if r.stage_code == stage_code and r.conflict_reason is None
        ],
        bonus_items=cohort.bonus_items,
        bonus_cap=cohort.bonus_cap,
        bonus=bonus,
        appeals=appeals,
    )


def open_challenged(challenges: list[calls.Challenge]) -> frozenset[tuple[str, str]]:
    return frozenset((c.stage_code, c.reviewer_id) for c in challenges if c.status == "open")
