"""HTTP API for staff: read applications, decide on them, record withdrawals. OpenAPI at /docs."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from aihub_applications.adapters import repository, reviews
from aihub_applications.domain.status import Status
from aihub_applications.entrypoints.http_errors import answered_as_http
from aihub_applications.service_layer import decisions
from aihub_applications.service_layer.access import require_reader
from aihub_applications.service_layer.errors import NotFound
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import FreeText
from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, require_role, staff_principal
from aihub_shared.runtime.service import ServiceRuntime, runtime_of


def _not_blank(value: str) -> str:
    # "Always with a recorded reason": white space alone records none.
    if not value.strip():
        raise ValueError("must say something, not only white space")
    return value


Reason = Annotated[FreeText, Field(min_length=1, max_length=2000), AfterValidator(_not_blank)]
#: Filters compared with codes: a value no code can have is a mistake (422), not an empty page;
#: and a NUL would reach Postgres, which refuses it in text.
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
#: Deep enough for any real list; beyond Postgres' bigint an offset would be a 500.
MAX_OFFSET = 1_000_000


class RankedOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["accepted", "rejected"]
    rank: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Place in the final ranking (acceptances only): the best `seats` ranks get"
        " a seat, the others are the ranked reserve that programs promotes in rank order.",
    )

    @model_validator(mode="after")
    def _rank_only_when_accepted(self) -> RankedOutcome:
        if self.rank is not None and self.outcome != "accepted":
            raise ValueError("only an acceptance carries a rank")
        return self


class DecisionRequest(RankedOutcome):
    reason: Reason


class BulkDecisionItem(RankedOutcome):
    application_id: uuid.UUID


class BulkDecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    decisions: list[BulkDecisionItem] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _each_once(self) -> BulkDecisionRequest:
        ids = [d.application_id for d in self.decisions]
        if len(set(ids)) != len(ids):
            raise ValueError("each application may appear once")
        ranks = [d.rank for d in self.decisions if d.rank is not None]
        if len(set(ranks)) != len(ranks):
            raise ValueError("each rank may be given once")
        return self


class WithdrawalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class DecisionResponse(BaseModel):
    application_id: uuid.UUID
    status: Status


def staff_of(settings: Settings) -> StaffDependency:
    """The caller, their e-mail in lower case: reviewers are matched to their assignments by
    it, and the `Kim@hub.example` a manager names is the `kim@hub.example` of a token."""
    verified = staff_principal(lambda: settings.staff_token_secret)

    def current_staff(staff: StaffPrincipal = Depends(verified)) -> StaffPrincipal:
        return dataclasses.replace(staff, id=staff.id.lower())

    return current_staff


def correlation_header(
    correlation_id: str | None = Header(
        default=None,
        alias="X-Correlation-Id",
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Carried by every event this request causes, for tracing.",
    ),
) -> str | None:
    return correlation_id


#: Who a reviewer is told assigned them when they replace a reviewer who recused.
REPLACEMENT_ACTOR = "reviewer-pool"


def _reviewer_view(entry: dict[str, Any], reviewer_id: str) -> dict[str, Any] | None:
    """A reviewer sees the application's course, and of the review only what concerns them:
    who else reviews, scores or recused — and whom they replace — stays with the managers."""
    if entry["action"] in ("status", "advanced"):
        return entry
    if entry["action"] == "assigned":
        # "reviewer <id> assigned[ in place of <id>]": ids are e-mails, so without spaces.
        words = entry["reason"].split(" ")
        if len(words) < 2 or words[1] != reviewer_id:
            return None
        replacement = " in place of " in entry["reason"]
        return {
            **entry,
            "reason": f"reviewer {reviewer_id} assigned",
            # A replacement is recorded as done by the reviewer who recused: not theirs to see.
            "actor": REPLACEMENT_ACTOR if replacement else entry["actor"],
        }
    return entry if entry["actor"] == reviewer_id else None


def _own_review(review: dict[str, Any]) -> dict[str, Any]:
    """A reviewer's own assignment, minus whom it replaced (who, recusing, also assigned it)."""
    if review["replaces"] is None:
        return review
    return {**review, "replaces": None, "assigned_by": REPLACEMENT_ACTOR}


def build_router(settings: Settings) -> APIRouter:
    current_staff = staff_of(settings)
    require_manager_role = require_role(current_staff, Role.PROGRAM_MANAGER)
    require_reading_role = require_role(current_staff, Role.PROGRAM_MANAGER, Role.REVIEWER)
    require_withdrawing_role = require_role(current_staff, Role.PROGRAM_MANAGER, Role.OPS)
    router = APIRouter(
        tags=["applications"],
        dependencies=[Depends(current_staff)],
    )

    @router.get("/applications")
    async def list_applications(
        response: Response,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reading_role),
        cohort_code: str | None = Query(default=None, max_length=64, pattern=CODE_PATTERN),
        program_code: str | None = Query(default=None, max_length=64, pattern=CODE_PATTERN),
        status_: Status | None = Query(default=None, alias="status"),
        stage_code: str | None = Query(default=None, max_length=64, pattern=CODE_PATTERN),
        q: str | None = Query(
            default=None,
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00]+$",
            description="Part of the startup name.",
        ),
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        """A page of applications, oldest first; `X-Total-Count` has the number of matches.
        A program manager sees their programs' applications, a reviewer their assigned ones."""
        async with runtime.pool.acquire() as conn:
            items, total = await repository.list_applications(
                conn,
                cohort_code=cohort_code,
                program_code=program_code,
                status=status_.value if status_ else None,
                stage_code=stage_code,
                programs=sorted(staff.programs) if staff.role is Role.PROGRAM_MANAGER else None,
                reviewer_id=staff.id if staff.role is Role.REVIEWER else None,
                name_contains=q,
                limit=limit,
                offset=offset,
            )
        response.headers["X-Total-Count"] = str(total)
        return items

    @router.get("/applications/{application_id}")
    async def get_application(
        application_id: uuid.UUID,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_reading_role),
    ) -> dict[str, Any]:
        """The application with its history (actor, time, reason of every change) and reviews.
        A reviewer sees only their own reviews, so others' scores cannot sway them."""
        with answered_as_http():
            async with runtime.pool.acquire() as conn:
                detail = await repository.application_detail(conn, application_id)
                if detail is None:
                    raise NotFound(f"no application {application_id}")
                assigned = await reviews.is_assigned(conn, application_id, staff.id)
                require_reader(staff, detail["program_code"], assigned=assigned)
                all_reviews = await reviews.reviews_of(conn, application_id)
            if not staff.manages(detail["program_code"]):
                all_reviews = [_own_review(r) for r in all_reviews if r["reviewer_id"] == staff.id]
                seen = (_reviewer_view(h, staff.id) for h in detail["history"])
                detail["history"] = [h for h in seen if h is not None]
            return {**detail, "reviews": all_reviews}

    @router.post("/applications/{application_id}/decision")
    async def decide_application(
        application_id: uuid.UUID,
        body: DecisionRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> DecisionResponse:
        """Accept (optionally with a rank) or reject one application in review, with a reason."""
        with answered_as_http():
            new_status = await decisions.decide(
                runtime.pool,
                decisions.Decision(application_id, body.outcome, body.rank),
                reason=body.reason,
                staff=staff,
                correlation_id=correlation_id,
            )
        return DecisionResponse(application_id=application_id, status=new_status)

    @router.post("/applications/decisions")
    async def decide_applications(
        body: BulkDecisionRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_manager_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> list[DecisionResponse]:
        """Many decisions with one reason, all or nothing: if one is refused (409, 404, 403)
        none is recorded, and the answer names the one refused."""
        with answered_as_http():
            statuses = await decisions.decide_many(
                runtime.pool,
                [decisions.Decision(d.application_id, d.outcome, d.rank) for d in body.decisions],
                reason=body.reason,
                staff=staff,
                correlation_id=correlation_id,
            )
        return [
            DecisionResponse(application_id=d.application_id, status=s)
            for d, s in zip(body.decisions, statuses, strict=True)
        ]

    @router.post("/applications/{application_id}/withdrawal")
    async def withdraw_application(
        application_id: uuid.UUID,
        body: WithdrawalRequest,
        runtime: ServiceRuntime = Depends(runtime_of),
        staff: StaffPrincipal = Depends(require_withdrawing_role),
        correlation_id: str | None = Depends(correlation_header),
    ) -> DecisionResponse:
        """Record that the applicant withdrew (at any stage); publishes `application.withdrawn`.
        Program managers, admins and ops (for a publishing system relaying the applicant)."""
        with answered_as_http():
            new_status = await decisions.withdraw(
                runtime.pool,
                application_id,
                reason=body.reason,
                staff=staff,
                correlation_id=correlation_id,
            )
        return DecisionResponse(application_id=application_id, status=new_status)

    @router.get("/cohorts", tags=["cohorts"])
    async def list_cohorts(runtime: ServiceRuntime = Depends(runtime_of)) -> list[dict[str, Any]]:
        """The replica of the programs catalog this service decides eligibility with."""
        async with runtime.pool.acquire() as conn:
            return await repository.list_cohorts(conn)

    return router
