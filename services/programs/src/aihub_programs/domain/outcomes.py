"""Judging a startup's KPI report: which reports count towards the hub's figures.

Rules (documented in the service README):
- the same report again (same publishing `source` and `report_id`, same figures) is a resend:
  accepted again, stored once;
- the same `report_id` from the same source with different figures is refused: a correction
  must carry a new report id, and only for a quarter not yet reported;
- one report per startup (business registration number) and quarter, hub-wide, whatever the
  cohort it is filed under: the hub's totals never count a quarter twice;
- only a startup holding a seat in the cohort the report names may report for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aihub_shared.contracts.intake import Refusal
from aihub_shared.contracts.programs import StartupKpiReported


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
    enrolled: bool,
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
    if not enrolled:
        refusals.append(
            Refusal(
                code="not_enrolled",
                message=f"the startup holds no seat in cohort {report.cohort_code}",
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
