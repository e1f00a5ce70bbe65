"""The applications service's HTTP API as the console calls it. Each page group adds the calls (and
the models of their documented answers) it needs as separate methods, so additions merge.

The models are the console's own reading of the service's documented response models (its
OpenAPI): extra fields are ignored, so the service may add some without breaking the console."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from aihub_console.adapters.service_api import ServiceApi


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# -- reviewer pages (/reviews) -----------------------------------------------------------------


class Named(_Answer):
    """A name in both languages (`{"ko": "서류평가", "en": "Document review"}`)."""

    ko: str
    en: str


class MyReview(_Answer):
    """`GET /reviews/mine`: one of the reviewer's assignments."""

    application_id: str
    startup_name: str
    program_code: str
    cohort_code: str
    program_name: Named
    stage_code: str
    stage_name: Named
    assigned_at: datetime
    due_at: datetime | None
    scored_at: datetime | None
    review_score: float | None
    conflict_reason: str | None
    stage_open: bool
    pending: bool


class Criterion(_Answer):
    code: str
    name: Named
    weight: int


class QuestionAnswer(_Answer):
    key: str
    question: Named
    answer: str


class Startup(_Answer):
    name: str | None = None
    founded_on: date | None = None
    employees: int | None = None
    website: str | None = None
    ai_field: str | None = None
    description: str | None = None


class ReviewSheet(_Answer):
    """`GET /applications/{id}/stages/{stage}/review`."""

    review: MyReview
    criteria: list[Criterion]
    scores: dict[str, int] | None
    comment: str | None
    startup: Startup
    answers: list[QuestionAnswer]
    #: 평가위원 서약: the stage refuses the person's scores until they accept its pledge.
    pledge_required: bool = False
    pledge_accepted_at: datetime | None = None

    @property
    def pledge_pending(self) -> bool:
        return self.pledge_required and self.pledge_accepted_at is None


class ScoresAnswer(_Answer):
    review_score: float


class ConflictAnswer(_Answer):
    replacement: str | None


class ApplicationsApi(ServiceApi):
    """Calls of the applications service, as the signed-in person."""

    # -- reviewer pages (/reviews) -------------------------------------------------------------

    async def my_reviews(self, application_id: str | None = None) -> list[MyReview]:
        params = {"application_id": application_id} if application_id else None
        return await self.call("GET", "/reviews/mine", list[MyReview], params=params)

    async def review_sheet(self, application_id: str, stage_code: str) -> ReviewSheet:
        path = f"/applications/{application_id}/stages/{stage_code}/review"
        return await self.call("GET", path, ReviewSheet)

    async def preview_scores(
        self, application_id: str, stage_code: str, scores: dict[str, Any]
    ) -> ScoresAnswer:
        """`scores` as the person typed them: the service judges every value (422 per field)."""
        path = f"/applications/{application_id}/stages/{stage_code}/scores/preview"
        return await self.call("POST", path, ScoresAnswer, json={"scores": scores})

    async def save_scores(
        self, application_id: str, stage_code: str, scores: dict[str, Any], comment: str
    ) -> ScoresAnswer:
        path = f"/applications/{application_id}/stages/{stage_code}/scores"
        body = {"scores": scores, "comment": comment}
        return await self.call("PUT", path, ScoresAnswer, json=body)

    async def declare_conflict(
        self, application_id: str, stage_code: str, reason: str
    ) -> ConflictAnswer:
        path = f"/applications/{application_id}/stages/{stage_code}/conflict"
        return await self.call("POST", path, ConflictAnswer, json={"reason": reason})
