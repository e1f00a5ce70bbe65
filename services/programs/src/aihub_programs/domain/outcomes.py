"""Judging a startup's KPI report: which reports count towards the hub's figures.

Rules (documented in the service README):
- the same report again (same publishing `source` and `report_id`, same figures) is a resend:
  accepted again, stored once;
- the same `report_id` from the same source with different figures is refused: a correction
  must carry a new report id, and only for a quarter not yet reported;
- one report per startup (business registration number) and quarter, hub-wide, whatever the
  cohort it is filed under: the hub's totals never count a quarter twice;
- only a startup that held a seat (confirmed) in the cohort the report names may report for it;
  one that gave its seat up later (withdrawn, cancelled, agreement deadline passed) still
  reports for every quarter that began before it left (the quarter it left in included), and is
  refused for the quarters that began after (`left_cohort`). A tombstone or a startup that was
  only ever waitlisted never held a seat (`not_enrolled`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from aihub_programs.domain.cohort_calendar import SEOUL
from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.programs import StartupKpiReported


def quarter_starts_at(quarter: str) -> datetime:
    """The first moment of a `YYYY-Qn` quarter, in Seoul: the hub's quarters are Korean ones."""
    found = re.fullmatch(r"(\d{4})-Q([1-4])", quarter)
    if found is None:
        raise ValueError(f"not a quarter: {quarter!r}")
    return datetime(int(found[1]), 3 * int(found[2]) - 2, 1, tzinfo=SEOUL)


@dataclass(frozen=True)
class SeatHistory:
    """A startup's seat in one cohort, as far as its reports are concerned."""

    #: It held a confirmed seat at some point (a waitlisted startup or a tombstone never did).
    held: bool = False
    #: When it gave the seat up; None while it holds it.
    left_at: datetime | None = None


NEVER_HELD = SeatHistory()


@dataclass(frozen=True)
class StoredReport:
    source: str
    report_id: str
    figures: StartupKpiReported


@dataclass(frozen=True)
class Verdict:
    store: bool
    refusals: list[Refusal]

    @property
    def accepted(self) -> bool:
        return not self.refusals


def judge(
    source: str,
    report: StartupKpiReported,
    *,
    same_id: StoredReport | None,
    same_quarter: StoredReport | None,
    seat: SeatHistory,
) -> Verdict:
    if same_id is not None:
        if same_id.figures == report:
            return Verdict(store=False, refusals=[])
        return Verdict(
            store=False,
            refusals=[
                Refusal(
                    code="report_id_reused",
                    message=f"report {report.report_id} was already received with other figures",
                )
            ],
        )
    refusals = []
    if not seat.held:
        refusals.append(
            Refusal(
                code="not_enrolled",
                message=f"the startup never held a seat in cohort {report.cohort_code}",
            )
        )
    elif seat.left_at is not None and quarter_starts_at(report.quarter) >= seat.left_at:
        left = seat.left_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M KST")
        refusals.append(
            Refusal(
                code="left_cohort",
                message=f"the startup left cohort {report.cohort_code} on {left},"
                f" before {report.quarter} began",
            )
        )
    if same_quarter is not None:
        refusals.append(
            Refusal(
                code="quarter_already_reported",
                message=f"{report.quarter} was already reported"
                f" (report {same_quarter.report_id} from {same_quarter.source})",
            )
        )
    return Verdict(store=not refusals, refusals=refusals)
