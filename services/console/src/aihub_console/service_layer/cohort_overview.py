"""What the cohort pages put together from several answers: the cohorts a person may manage
(those whose pipeline the applications service lets them read) and one cohort's standing.
Which cohorts those are is the service's decision: a 403 or 404 leaves a cohort out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aihub_console.adapters import manager_calls as calls
from aihub_console.adapters.applications_api import ApplicationsApi
from aihub_console.adapters.manager_views import Pipeline, ReplicatedCohort
from aihub_console.adapters.service_api import ServiceRefusal


@dataclass(frozen=True)
class ManagedCohort:
    cohort: ReplicatedCohort
    pipeline: Pipeline


async def managed_cohorts(api: ApplicationsApi) -> list[ManagedCohort]:
    replicated = await calls.cohorts(api)

    async def standing(cohort: ReplicatedCohort) -> ManagedCohort | None:
        try:
            return ManagedCohort(cohort, await calls.pipeline(api, cohort.cohort_code))
        except ServiceRefusal as refusal:
            if refusal.status in (403, 404):
                return None
            raise

    found = await asyncio.gather(*(standing(c) for c in replicated))
    managed = [m for m in found if m is not None]
    return sorted(managed, key=lambda m: m.cohort.application_opens_at, reverse=True)


async def replicated_cohort(api: ApplicationsApi, cohort_code: str) -> ReplicatedCohort | None:
    return next((c for c in await calls.cohorts(api) if c.cohort_code == cohort_code), None)


def stage_names(pipeline: Pipeline) -> dict[str, dict[str, str]]:
    """Each stage's Korean and English name by code (pages show names, never codes)."""
    return {s.stage_code: s.name for s in pipeline.stages}


def answer_labels(cohort: ReplicatedCohort | None) -> dict[str, dict[str, str]]:
    """Each question's label in both languages by its key (answers are stored by key)."""
    questions = cohort.questions if cohort else []
    return {
        str(q["key"]): {"ko": str(q.get("label_ko", "")), "en": str(q.get("label_en", ""))}
        for q in questions
        if "key" in q
    }


def criterion_names(cohort: ReplicatedCohort | None) -> dict[str, dict[str, str]]:
    """Each rubric criterion's name in both languages by its code (scores are kept by code)."""
    stages = (cohort.review_stages if cohort else None) or []
    return {
        str(c["code"]): {"ko": str(c.get("name_ko", "")), "en": str(c.get("name_en", ""))}
        for stage in stages
        for c in stage.criteria
        if "code" in c
    }


def calibrated_stages(cohort: ReplicatedCohort | None) -> frozenset[str]:
    """The stages whose reviewer scores are calibrated (z-score) before averaging."""
    stages = (cohort.review_stages if cohort else None) or []
    return frozenset(s.code for s in stages if s.calibration != "none")
