"""Which reports of a startup that left its cohort still count: the quarter rule, to the second."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from aihub_programs.domain.cohort_calendar import SEOUL
from aihub_programs.domain.outcomes import NEVER_HELD, SeatHistory, judge, quarter_starts_at
from aihub_shared.contracts.programs import StartupKpiReported
from services.programs.tests.support import BRNS


def _report(quarter: str) -> StartupKpiReported:
    return StartupKpiReported(
        report_id=f"r-{quarter}",
        business_registration_number=BRNS[0],
        cohort_code="cv-2027-1",
        quarter=quarter,
        revenue_krw=1,
        investment_raised_krw=0,
        headcount=1,
    )


def _codes(quarter: str, seat: SeatHistory) -> list[str]:
    verdict = judge("/src", _report(quarter), same_id=None, same_quarter=None, seat=seat)
    return [r.code for r in verdict.refusals]


def test_quarters_start_in_seoul() -> None:
    assert quarter_starts_at("2027-Q1") == datetime(2027, 1, 1, tzinfo=SEOUL)
    assert quarter_starts_at("2027-Q4") == datetime(2027, 10, 1, tzinfo=SEOUL)
    with pytest.raises(ValueError, match="not a quarter"):
        quarter_starts_at("2027-Q5")


def test_a_startup_that_left_reports_every_quarter_that_began_before_it_left() -> None:
    q3 = quarter_starts_at("2027-Q3")
    left_just_before = SeatHistory(held=True, left_at=q3 - timedelta(seconds=1))
    left_at_the_start = SeatHistory(held=True, left_at=q3)
    assert _codes("2027-Q2", left_just_before) == []
    assert _codes("2027-Q3", left_just_before) == ["left_cohort"]
    assert _codes("2027-Q2", left_at_the_start) == []
    assert _codes("2027-Q3", left_at_the_start) == ["left_cohort"]
    assert _codes("2027-Q3", SeatHistory(held=True, left_at=q3 + timedelta(seconds=1))) == []


def test_a_startup_holding_its_seat_reports_any_quarter_and_one_never_seated_none() -> None:
    assert _codes("2031-Q4", SeatHistory(held=True)) == []
    assert _codes("2027-Q1", NEVER_HELD) == ["not_enrolled"]
