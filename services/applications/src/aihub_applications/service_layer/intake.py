"""Taking in a submission from a publishing system: idempotent, checked, answered."""

from __future__ import annotations

import hashlib

import asyncpg
import structlog

from aihub_applications.adapters import catalog_replica, submissions
from aihub_applications.adapters.submissions import StoredSubmission
from aihub_applications.domain.eligibility import check_eligibility, refusal
from aihub_applications.domain.status import Status
from aihub_applications.service_layer.derived_bonus import derive_bonus_points
from aihub_applications.service_layer.events import new_event
from aihub_shared.contracts.applications import ApplicationIneligible, ApplicationReceived
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.intake import ApplicationSubmitted, IntakeReceipt, Refusal
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.record_context import arrival_time

log = structlog.get_logger(__name__)


def content_hash(submission: ApplicationSubmitted) -> str:
    """Same submission content → same hash, whatever the field order or whitespace on the wire."""
    canonical = submission.model_dump_json(round_trip=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def receive_submission(
    conn: DbConnection, event: CloudEvent, submission: ApplicationSubmitted
) -> None:
    """The Kafka door: the receipt goes to `intake.receipts`."""
    await take_in(conn, event, submission)


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
        return await take_in(conn, event, submission)


async def take_in(
    conn: DbConnection, event: CloudEvent, submission: ApplicationSubmitted
) -> IntakeReceipt:
    """Both doors (Kafka and HTTP): store once, answer with a receipt (also on the topic)."""
    digest = content_hash(submission)
    # Two doors can carry the same submission at once; one of them decides.
    await submissions.lock_submission(conn, event.source, submission.submission_id)
    existing = await submissions.find_by_submission(conn, event.source, submission.submission_id)
    if existing is not None:
        return await _answer_resubmission(conn, event, submission, existing, digest)

    rules = await catalog_replica.cohort_rules(conn, submission.cohort_code)
    if rules is None:
        # Nothing to attach an application to, so nothing is stored: once the catalog has the
        # cohort, the same submission sent again is judged afresh.
        refusal = check_eligibility(submission, None, now=arrival_time(), first_application_id=None)
        receipt = _receipt(event, submission, None, refusal)
        await outbox.add_events(conn, [receipt])
        log.info("submission refused: unknown cohort", cohort=submission.cohort_code)
        return IntakeReceipt.model_validate(receipt.data)

    brn = submission.startup.business_registration_number
    await submissions.lock_brn_in_cohort(conn, submission.cohort_code, brn)
    refusals = check_eligibility(
        submission,
        rules,
        now=arrival_time(),
        first_application_id=await submissions.active_application_for_brn(
            conn, submission.cohort_code, brn
        ),
    )
    return await _store(conn, event, submission, digest, refusals)


async def _store(
    conn: DbConnection,
    event: CloudEvent,
    submission: ApplicationSubmitted,
    digest: str,
    refusals: list[Refusal],
) -> IntakeReceipt:
    """Store a new application (ineligible when refused) and queue its outcome and receipt."""
    status = Status.INELIGIBLE if refusals else Status.RECEIVED
    review = await catalog_replica.cohort_review(conn, submission.cohort_code)
    first_stage = review.stages[0].code if review and not refusals else None
    application_id = await submissions.insert_application(
        conn,
        submitted_by=event.source,
        submission=submission,
        content_hash=digest,
        status=status,
        refusals=refusals,
        actor=f"intake:{event.source}",
        stage_code=first_stage,
    )
    subject = str(application_id)
    outcome = _outcome(event, submission, subject, refusals)
    receipt = _receipt(event, submission, subject, refusals)
    await outbox.add_events(conn, [outcome, receipt])
    if review is not None and not refusals:
        # After application.received: 가점 the cohort derives from the declared answers.
        await derive_bonus_points(
            conn, application_id, submission.answers, review, correlation_id=event.correlationid
        )
    log.info("application stored", application_id=subject, status=status.value)
    return IntakeReceipt.model_validate(receipt.data)


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


async def _answer_resubmission(
    conn: DbConnection,
    event: CloudEvent,
    submission: ApplicationSubmitted,
    existing: StoredSubmission,
    digest: str,
) -> IntakeReceipt:
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
    receipt = _receipt(event, submission, application_id, refusals)
    await outbox.add_events(conn, [receipt])
    return IntakeReceipt.model_validate(receipt.data)


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
