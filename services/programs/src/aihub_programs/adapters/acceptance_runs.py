"""SQL of a run of acceptances (`domain/acceptance_run.py`): what the whole run needs, read under
its cohorts' locks in one statement (two when a cohort has a waitlist), whatever its length."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aihub_programs.adapters.enrollments import UNRANKED, WAITLIST_ORDER, LockedCohort
from aihub_programs.adapters.seats import (
    ENROLLMENT_COLUMNS,
    StoredRow,
    enrollment_of,
    head_size,
)
from aihub_programs.domain.acceptance_run import AcceptanceRun
from aihub_programs.domain.enrollments import Enrollment
from aihub_shared.runtime.db import DbConnection


@dataclass(frozen=True)
class Acceptance:
    application_id: str
    cohort_code: str
    rank: int | None


@dataclass(frozen=True)
class AcceptanceFacts:
    """What one acceptance of the run needs besides its cohort's run."""

    #: The cohort of the application's enrollment if it has one (a tombstone included).
    known_in: str | None
    #: Its arrival number: the tie-breaker between equal ranks.
    arrival: int
    #: How many stored waiting enrollments of its cohort rank ahead of it (None: not counted,
    #: since its cohort's whole waitlist was loaded).
    stored_ahead: int | None


@dataclass(frozen=True)
class LoadedRun:
    #: Each cohort's seats through the run, by code.
    cohorts: dict[str, AcceptanceRun]
    #: Each loaded enrollment's row (the waitlists' heads): the only stored ones a run changes.
    rows: dict[str, StoredRow]
    #: Per acceptance, in the run's order.
    facts: list[AcceptanceFacts]


async def load_run(
    conn: DbConnection,
    cohorts: Mapping[str, LockedCohort],
    now: datetime,
    acceptances: Sequence[Acceptance],
) -> LoadedRun:
    """Under the cohorts' locks: whether each application is known, the arrival numbers (in the
    run's order, so after every stored one), each cohort's waitlist head and, where only part of
    a waitlist is loaded, how many stored ones wait ahead of each newcomer — counted on the index
    as all of them but those ranking behind it: acceptances come best first, so few if any do."""
    heads = {code: head_size(cohort, now) for code, cohort in cohorts.items()}
    partial = {code for code, (_, _, head) in heads.items() if head < cohorts[code].waitlisted}
    rows = await conn.fetch(
        "WITH run AS MATERIALIZED (SELECT i, application_id, cohort_code, rank_key, counted,"  # noqa: S608 - constants
        "  nextval(pg_get_serial_sequence('enrollments', 'arrival')) AS arrival"
        "  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[]) WITH ORDINALITY"
        "  AS a(application_id, cohort_code, rank_key, counted, i))"
        " SELECT i, arrival,"
        "  (SELECT cohort_code FROM enrollments e WHERE e.application_id = run.application_id)"
        "  AS known_in,"
        # Every stored arrival is smaller than the run's (drawn under the lock): a stored equal
        # rank is ahead, so only a worse rank is behind.
        "  CASE WHEN counted THEN (SELECT count(*) FROM enrollments e"
        "   WHERE e.cohort_code = run.cohort_code AND e.status = 'waitlisted'"
        f"   AND coalesce(e.rank::bigint, {UNRANKED}) > run.rank_key) END AS behind"
        " FROM run ORDER BY i",
        [a.application_id for a in acceptances],
        [a.cohort_code for a in acceptances],
        [UNRANKED if a.rank is None else a.rank for a in acceptances],
        [a.cohort_code in partial for a in acceptances],
    )
    # Arrival numbers follow the run's order whatever order the statement drew them in.
    arrivals = sorted(r["arrival"] for r in rows)
    facts = [
        AcceptanceFacts(
            r["known_in"],
            arrival,
            None if r["behind"] is None else cohorts[a.cohort_code].waitlisted - r["behind"],
        )
        for r, arrival, a in zip(rows, arrivals, acceptances, strict=True)
    ]
    loaded, stored = await _heads(conn, {code: head for code, (_, _, head) in heads.items()})
    runs = {
        code: AcceptanceRun(
            cohort.seats,
            confirmed=cohort.seats_taken,
            waitlisted=cohort.waitlisted,
            head=loaded.get(code, []),
            agreement_due=timedelta(days=cohort.agreement_due_days),
            ends_at=heads[code][0],
        )
        for code, cohort in cohorts.items()
    }
    return LoadedRun(runs, stored, facts)


async def _heads(
    conn: DbConnection, sizes: dict[str, int]
) -> tuple[dict[str, list[Enrollment]], dict[str, StoredRow]]:
    """The head of each cohort's waitlist, best first, and the rows of its enrollments."""
    wanted = {code: size for code, size in sizes.items() if size > 0}
    if not wanted:
        return {}, {}
    rows = await conn.fetch(
        f"SELECT c.code AS cohort_code, h.* FROM unnest($1::text[], $2::int[]) AS c(code, size)"  # noqa: S608 - constants
        f" CROSS JOIN LATERAL (SELECT {ENROLLMENT_COLUMNS} FROM enrollments"
        "  WHERE cohort_code = c.code AND status = 'waitlisted'"
        f"  ORDER BY {WAITLIST_ORDER} LIMIT c.size) h",
        list(wanted),
        list(wanted.values()),
    )
    heads: dict[str, list[Enrollment]] = {}
    for row in rows:
        heads.setdefault(row["cohort_code"], []).append(enrollment_of(row))
    for head in heads.values():
        head.sort(key=lambda e: e.waitlist_key)
    stored = {r["application_id"]: StoredRow(r["id"], r["startup_name"]) for r in rows}
    return heads, stored
