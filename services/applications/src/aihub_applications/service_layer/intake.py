"""Taking in a submission from a publishing system: idempotent, checked, answered."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from aihub_applications.adapters import catalog_replica, submissions
from aihub_applications.adapters.submissions import (
    BrnKey,
    NewApplication,
    StoredSubmission,
    SubmissionKey,
)
from aihub_applications.domain.eligibility import CohortRules, check_eligibility, refusal
from aihub_applications.domain.review import CohortReview
from aihub_applications.domain.status import Status
from aihub_applications.service_layer.derived_bonus import derive_bonus_points
from aihub_applications.service_layer.events import new_event
from aihub_shared.contracts.applications import ApplicationIneligible, ApplicationReceived
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.intake import ApplicationSubmitted, IntakeReceipt, Refusal
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime import outbox
from aihub_shared.runtime.batch import Consumed
from aihub_shared.runtime.db import DbConnection

log = structlog.get_logger(__name__)


def content_hash(submission: ApplicationSubmitted) -> str:
    """Same submission content → same hash, whatever the field order or whitespace on the wire."""
    canonical = submission.model_dump_json(round_trip=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def receive_submissions(conn: DbConnection, batch: Sequence[Consumed]) -> None:
    """The Kafka door, a run of records at a time: the receipts go to `intake.receipts`."""
    await take_in(conn, [Arrived(c.event, c.data, c.arrival) for c in batch])


def http_source(staff: StaffPrincipal) -> str:
    """The envelope `source` of a submission over HTTP: the publishing system is the token's
    subject, so idempotency is per (`/http/<subject>`, `submission_id`), as on Kafka."""
    return f"/http/{staff.id}"


async def submit_over_http(
    pool: asyncpg.Pool,
    submission: ApplicationSubmitted,
    *,
    staff: StaffPrincipal,
    correlation_id: str | None = None,
) -> IntakeReceipt:
    """The HTTP door: the same rules and receipt as Kafka, judged at the request's arrival."""
    event = new_event(
        "application.submitted",
        subject=submission.submission_id,
        data=submission,
        correlation_id=correlation_id,
    )
    event = event.model_copy(update={"source": http_source(staff)})
    async with pool.acquire() as conn, conn.transaction():
        (receipt,) = await take_in(conn, [Arrived(event, submission, datetime.now(UTC))])
    return IntakeReceipt.model_validate(receipt.data)


@dataclass(frozen=True)
class Arrived:
    """A submission as it reached a door."""

    event: CloudEvent
    submission: ApplicationSubmitted
    at: datetime

    @property
    def key(self) -> SubmissionKey:
        return (self.event.source, self.submission.submission_id)

    @property
    def brn_key(self) -> BrnKey:
        return (self.submission.cohort_code, self.submission.startup.business_registration_number)


@dataclass
class _Known:
    """What the database said before the batch, updated as the batch is judged in order, so a
    submission sees the ones before it in the same batch as if they had been stored already."""

    stored: dict[SubmissionKey, StoredSubmission]
    first_for_brn: dict[BrnKey, str]
    rules: dict[str, CohortRules | None]
    reviews: dict[str, CohortReview | None]

    def first_stage(self, cohort_code: str) -> str | None:
        review = self.reviews[cohort_code]
        return review.stages[0].code if review else None


async def take_in(conn: DbConnection, batch: Sequence[Arrived]) -> list[CloudEvent]:
    """Both doors (Kafka, a batch; HTTP, one): store each submission once, answer each with a
    receipt (queued for the topic, and returned), in the batch's order, judging each as if the
    ones before it were stored already; set-based SQL for the whole batch."""
    # Two doors can carry the same submission at once; one of them decides.
    await submissions.lock_submissions(conn, (a.key for a in batch))
    await submissions.lock_brns_in_cohorts(conn, (a.brn_key for a in batch))
    known = await _known(conn, batch)
    new: list[NewApplication] = []
    events: list[CloudEvent] = []
    receipts: list[CloudEvent] = []
    for arrived in batch:
        receipt = _judge(arrived, known, new, events)
        receipts.append(receipt)
        events.append(receipt)
    await submissions.insert_applications(conn, new)
    await outbox.add_events(conn, events)
    await _derive_bonus_points(conn, batch, new, known)
    # One line per batch, naming each application stored (ids only: no personal data), so a
    # flow can still be followed in the log without a line per submission.
    log.info(
        "submissions taken in",
        received=[str(a.id) for a in new if a.status is Status.RECEIVED],
        ineligible=[str(a.id) for a in new if a.status is Status.INELIGIBLE],
        answered_only=len(batch) - len(new),
    )
    return receipts


async def _derive_bonus_points(
    conn: DbConnection, batch: Sequence[Arrived], new: Sequence[NewApplication], known: _Known
) -> None:
    """After the batch's `application.received`: 가점 each cohort derives from the declared
    answers (nothing to do, and no query, where the cohort derives none)."""
    correlation = {a.submission.submission_id: a.event.correlationid for a in batch}
    for application in new:
        review = known.reviews.get(application.submission.cohort_code)
        if review is None or application.status is not Status.RECEIVED:
            continue
        await derive_bonus_points(
            conn,
            application.id,
            application.submission.answers,
            review,
            correlation_id=correlation.get(application.submission.submission_id),
        )


async def _known(conn: DbConnection, batch: Sequence[Arrived]) -> _Known:
    cohorts = sorted({a.submission.cohort_code for a in batch})
    rules = {code: await catalog_replica.cohort_rules(conn, code) for code in cohorts}
    reviews = {
        code: await catalog_replica.cohort_review(conn, code) if rules[code] else None
        for code in cohorts
    }
    return _Known(
        stored=await submissions.find_by_submissions(conn, [a.key for a in batch]),
        first_for_brn=await submissions.active_applications_for_brns(
            conn, sorted({a.brn_key for a in batch})
        ),
        rules=rules,
        reviews=reviews,
    )


def _judge(
    arrived: Arrived, known: _Known, new: list[NewApplication], events: list[CloudEvent]
) -> CloudEvent:
    """One submission's receipt; a new application and its outcome event join `new` and
    `events`, and `known`, for the submissions after it."""
    event, submission = arrived.event, arrived.submission
    digest = content_hash(submission)
    existing = known.stored.get(arrived.key)
    if existing is not None:
        return _answer_resubmission(event, submission, existing, digest)
    rules = known.rules[submission.cohort_code]
    if rules is None:
        # Nothing to attach an application to, so nothing is stored: once the catalog has the
        # cohort, the same submission sent again is judged afresh.
        refusals = check_eligibility(submission, None, now=arrived.at, first_application_id=None)
        log.info("submission refused: unknown cohort", cohort=submission.cohort_code)
        return _receipt(event, submission, None, refusals)
    refusals = check_eligibility(
        submission,
        rules,
        now=arrived.at,
        first_application_id=known.first_for_brn.get(arrived.brn_key),
    )
    application = NewApplication(
        id=uuid.uuid4(),
        submitted_by=event.source,
        submission=submission,
        content_hash=digest,
        status=Status.INELIGIBLE if refusals else Status.RECEIVED,
        refusals=refusals,
        actor=f"intake:{event.source}",
        stage_code=None if refusals else known.first_stage(submission.cohort_code),
    )
    new.append(application)
    subject = str(application.id)
    known.stored[arrived.key] = StoredSubmission(
        application.id, digest, [r.model_dump() for r in refusals]
    )
    if not refusals:
        known.first_for_brn[arrived.brn_key] = subject
    events.append(_outcome(event, submission, subject, refusals))
    return _receipt(event, submission, subject, refusals)


def _outcome(
    event: CloudEvent,
    submission: ApplicationSubmitted,
    application_id: str,
    refusals: list[Refusal],
) -> CloudEvent:
    common = {
        "application_id": application_id,
        "submission_id": submission.submission_id,
        "program_code": submission.program_code,
        "cohort_code": submission.cohort_code,
        "startup_name": submission.startup.name,
        "contact": submission.contact,
    }
    if refusals:
        return new_event(
            "application.ineligible",
            subject=submission.cohort_code,
            data=ApplicationIneligible(**common, reasons=refusals),
            caused_by=event,
        )
    return new_event(
        "application.received",
        subject=submission.cohort_code,
        data=ApplicationReceived(**common, submitted_by=event.source),
        caused_by=event,
    )


def _answer_resubmission(
    event: CloudEvent,
    submission: ApplicationSubmitted,
    existing: StoredSubmission,
    digest: str,
) -> CloudEvent:
    """The same submission again changes nothing but earns the same receipt (a publisher that
    lost the first one can reconcile); different content under the same id is refused."""
    application_id = str(existing.application_id)
    if existing.content_hash == digest:
        refusals = [Refusal.model_validate(r) for r in existing.refusals]
    else:
        refusals = [
            refusal(
                "conflicting_resubmission",
                submission.contact.locale,
                submission=submission.submission_id,
                first=application_id,
            )
        ]
        log.warning("conflicting resubmission refused", application_id=application_id)
    return _receipt(event, submission, application_id, refusals)


def _receipt(
    event: CloudEvent,
    submission: ApplicationSubmitted,
    application_id: str | None,
    refusals: list[Refusal],
) -> CloudEvent:
    return new_event(
        "intake.receipt",
        subject=submission.submission_id,
        data=IntakeReceipt(
            submission_id=submission.submission_id,
            submitted_by=event.source,
            outcome="refused" if refusals else "accepted",
            application_id=application_id,
            reasons=refusals,
        ),
        caused_by=event,
    )
