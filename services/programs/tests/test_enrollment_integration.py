"""Enrollment on the real Postgres: seats, ranked waitlist, promotions, tombstones, deadlines,
and concurrent handlers that never overfill a cohort."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from aihub_local.testing import handle_in_transaction
from aihub_programs.adapters import enrollments as enrollments_db
from aihub_programs.service_layer import enrollment
from aihub_programs.service_layer.catalog import update_cohort
from aihub_programs.service_layer.enrollment import (
    EnrollmentConflict,
    enroll_accepted_application,
    release_withdrawn_application,
)
from aihub_shared.runtime.errors import RejectedEvent
from services.programs.tests.support import (
    ADMIN_STAFF,
    OTHER_PM_STAFF,
    PM_STAFF,
    accept,
    accepted,
    cohort_spec,
    enrollment_events,
    event,
    make_cohort,
    new_id,
    queued,
    withdraw,
    withdrawn,
)

pytestmark = pytest.mark.integration


async def test_seats_then_ranked_waitlist_then_promotion_on_withdrawal(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=2)
    await accept(db, "a", rank=2)
    await accept(db, "b", rank=5)
    await accept(db, "c", rank=None)
    await accept(db, "d", rank=3)
    await withdraw(db, "a")

    events = await queued(db)
    steps = [(e["name"], e["data"].get("application_id")) for e in events[1:]]
    assert steps == [
        ("enrollment.confirmed", "a"),
        ("enrollment.confirmed", "b"),
        ("cohort.filled", None),
        ("enrollment.waitlisted", "c"),
        ("enrollment.waitlisted", "d"),
        ("enrollment.cancelled", "a"),
        ("enrollment.promoted", "d"),  # rank 3 before the unranked c, who came earlier
    ]
    by_step = {(e["name"], e["data"].get("application_id")): e for e in events}
    assert by_step["enrollment.waitlisted", "c"]["data"]["waitlist_position"] == 1
    assert by_step["enrollment.waitlisted", "d"]["data"]["waitlist_position"] == 1
    promoted = by_step["enrollment.promoted", "d"]["data"]
    assert promoted["status"] == "confirmed"
    assert promoted["rank"] == 3
    assert promoted["seats_taken"] == 2
    assert promoted["agreement_due_at"] is not None
    cancelled = by_step["enrollment.cancelled", "a"]["data"]
    assert cancelled["reason"].startswith("withdrawn by the applicant")
    assert cancelled["seats_taken"] == 1
    # Every enrollment event is keyed by its cohort: one partition holds the cohort's history.
    assert {e["key"] for e in events} == {"cv-2027-1"}


async def test_withdrawal_before_acceptance_never_takes_a_seat(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=1)
    await withdraw(db, "early")
    await accept(db, "early", rank=1)
    await accept(db, "other", rank=2)
    assert await enrollment_events(db) == [
        ("enrollment.confirmed", "other"),
        ("cohort.filled", "cv-2027-1"),
    ]


async def test_a_second_acceptance_of_the_same_application_changes_nothing(
    db: asyncpg.Pool,
) -> None:
    await make_cohort(db, seats=3)
    await accept(db, "a", rank=1)
    await accept(db, "a", rank=1)  # a re-decision: a new event for the same application
    assert await enrollment_events(db) == [("enrollment.confirmed", "a")]


async def test_unknown_cohort_or_program_mismatch_is_rejected(db: asyncpg.Pool) -> None:
    await make_cohort(db)
    with pytest.raises(RejectedEvent, match="not in the catalog"):
        await accept(db, new_id(), cohort="no-such-cohort")
    with pytest.raises(RejectedEvent, match="belongs to program"):
        await accept(db, new_id(), program="other-program")


async def test_hostile_application_ids_are_rejected_at_once(db: asyncpg.Pool) -> None:
    await make_cohort(db)
    for hostile in ("nul\x00byte", "x" * 129, "line\nbreak", ""):
        # The contract leaves application ids free text; the startup name stays valid here.
        decided = accepted("x").model_copy(update={"application_id": hostile})
        left = withdrawn("x").model_copy(update={"application_id": hostile})
        with pytest.raises(RejectedEvent, match="not an application id"):
            await handle_in_transaction(
                db, enroll_accepted_application, event("application.accepted", decided), decided
            )
        with pytest.raises(RejectedEvent, match="not an application id"):
            await handle_in_transaction(
                db, release_withdrawn_application, event("application.withdrawn", left), left
            )
    await accept(db, "fine", rank=1)  # valid traffic goes on
    assert await enrollment_events(db) == [("enrollment.confirmed", "fine")]


async def test_the_longest_reasons_still_free_the_seat(db: asyncpg.Pool) -> None:
    """A withdrawal or cancellation reason at its limit (2000 characters) plus who and why
    must still fit `enrollment.cancelled`: otherwise the seat is never freed."""
    await make_cohort(db, seats=1)
    await accept(db, "a", rank=1)
    await accept(db, "b", rank=2)
    await accept(db, "c", rank=3)
    long_goodbye = withdrawn("a").model_copy(update={"reason": "긴 사유 " * 400})
    await handle_in_transaction(
        db,
        release_withdrawn_application,
        event("application.withdrawn", long_goodbye),
        long_goodbye,
    )
    # Recorded as "cancelled by pm@hub.example: " and the 2000 characters staff may give.
    await enrollment.cancel_enrollment(db, "b", reason="x" * 2000, staff=PM_STAFF)
    assert (await enrollment_events(db))[-4:] == [
        ("enrollment.cancelled", "a"),
        ("enrollment.promoted", "b"),
        ("enrollment.cancelled", "b"),
        ("enrollment.promoted", "c"),
    ]
    reasons = [e["data"]["reason"] for e in await queued(db) if e["name"] == "enrollment.cancelled"]
    assert [len(r) for r in reasons] == [2000, 2000]
    assert reasons[0].startswith("withdrawn by the applicant: 긴 사유")
    assert reasons[1].endswith("…")


async def test_added_seats_promote_and_removed_seats_evict_nobody(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=2)
    for n, app in enumerate("abcd"):
        await accept(db, app, rank=n + 1)
    await update_cohort(db, "cv-2027-1", cohort_spec(seats=1), staff=ADMIN_STAFF)
    confirmed = await db.fetch("SELECT application_id FROM enrollments WHERE status='confirmed'")
    assert sorted(r["application_id"] for r in confirmed) == ["a", "b"]
    await update_cohort(db, "cv-2027-1", cohort_spec(seats=4), staff=ADMIN_STAFF)
    events = await enrollment_events(db)
    assert events[-3:] == [
        ("enrollment.promoted", "c"),
        ("enrollment.promoted", "d"),
        ("cohort.filled", "cv-2027-1"),
    ]
    published = [e for e in await queued(db) if e["name"] == "cohort.published"]
    assert [e["data"]["seats"] for e in published] == [2, 1, 4]


async def test_staff_cancellation_and_agreement(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=1)
    await accept(db, "a", rank=1)
    await accept(db, "b", rank=2)
    signed = await enrollment.sign_agreement(db, "a", staff=ADMIN_STAFF)
    assert signed["agreement_signed_at"] is not None
    with pytest.raises(EnrollmentConflict, match="already signed"):
        await enrollment.sign_agreement(db, "a", staff=ADMIN_STAFF)
    with pytest.raises(enrollment.NotYourProgram):
        await enrollment.cancel_enrollment(db, "a", reason="x", staff=OTHER_PM_STAFF)
    with pytest.raises(enrollment.EnrollmentNotFound):
        await enrollment.cancel_enrollment(db, "zzz", reason="x", staff=ADMIN_STAFF)
    await enrollment.cancel_enrollment(
        db, "a", reason="left", staff=ADMIN_STAFF, correlation_id="corr-1"
    )
    events = await queued(db)
    tail = [(e["name"], e["data"].get("application_id")) for e in events[-3:]]
    assert tail == [
        ("enrollment.agreement_signed", "a"),
        ("enrollment.cancelled", "a"),
        ("enrollment.promoted", "b"),
    ]
    assert events[-1]["correlationid"] == "corr-1"
    with pytest.raises(EnrollmentConflict, match="already cancelled"):
        await enrollment.cancel_enrollment(db, "a", reason="again", staff=ADMIN_STAFF)


async def test_concurrent_acceptances_never_overfill(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=3)
    apps = [new_id() for _ in range(20)]
    await asyncio.gather(*(accept(db, app, rank=n + 1) for n, app in enumerate(apps)))
    counts = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'confirmed') AS confirmed,"
        " count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted FROM enrollments"
    )
    assert counts is not None
    assert (counts["confirmed"], counts["waitlisted"]) == (3, 17)
    taken = [
        e["data"]["seats_taken"] for e in await queued(db) if e["name"] == "enrollment.confirmed"
    ]
    assert taken == [1, 2, 3]


async def test_tombstones_are_not_listed_as_enrollments(db: asyncpg.Pool) -> None:
    await make_cohort(db, seats=1)
    await withdraw(db, "never-enrolled")
    await accept(db, "a", rank=1)
    await accept(db, "b", rank=2)
    await withdraw(db, "b")
    async with db.acquire() as conn:
        listed, total = await enrollments_db.cohort_enrollments(
            conn, "cv-2027-1", None, limit=10, offset=0
        )
    assert total == 2
    assert [(e["application_id"], e["status"]) for e in listed] == [
        ("a", "confirmed"),
        ("b", "cancelled"),
    ]
    # Nor found by staff: a 404 like any application never enrolled, not a 409.
    with pytest.raises(enrollment.EnrollmentNotFound):
        await enrollment.cancel_enrollment(db, "never-enrolled", reason="x", staff=ADMIN_STAFF)
    with pytest.raises(enrollment.EnrollmentNotFound):
        await enrollment.sign_agreement(db, "never-enrolled", staff=ADMIN_STAFF)
