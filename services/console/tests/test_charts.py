"""The outcome charts as data: what each draws, in millions of won where money, the table rows
saying the same, nothing drawn without data, and a configuration that travels as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aihub_console.domain.charts import ChartWords, millions, outcome_charts

WORDS = ChartWords(*(f"w{i}" for i in range(10)))


@dataclass(frozen=True)
class Quarter:
    quarter: str
    revenue_krw: int
    investment_krw: int
    headcount: int


@dataclass(frozen=True)
class Program:
    companies_supported: int
    cumulative_revenue_krw: int
    cumulative_investment_krw: int


def test_quarters_and_programs_become_four_charts_with_their_tables() -> None:
    quarters = [
        Quarter("2027-Q1", 120_400_000, 0, 9),
        Quarter("2027-Q2", 80_600_000, 2 * 10**9, 11),
    ]
    programs = [("사이버밸리", Program(2, 201_000_000, 2 * 10**9)), ("멤버십", Program(1, 0, 0))]
    charts = {c.id: c for c in outcome_charts(quarters, programs, WORDS)}
    assert list(charts) == [
        "money-by-quarter",
        "headcount-by-quarter",
        "companies-by-program",
        "money-by-program",
    ]
    assert charts["money-by-quarter"].rows == [("2027-Q1", [120, 0]), ("2027-Q2", [81, 2000])]
    assert charts["headcount-by-quarter"].rows == [("2027-Q1", [9]), ("2027-Q2", [11])]
    assert charts["companies-by-program"].rows == [("사이버밸리", [2]), ("멤버십", [1])]
    config = charts["money-by-program"].config()
    assert json.loads(json.dumps(config)) == config
    assert config["data"]["labels"] == ["사이버밸리", "멤버십"]
    assert [d["data"] for d in config["data"]["datasets"]] == [[201, 0], [2000, 0]]


def test_nothing_reported_draws_nothing() -> None:
    assert outcome_charts([], [], WORDS) == []
    supported_only = outcome_charts([], [("p", Program(1, 0, 0))], WORDS)
    assert [c.id for c in supported_only] == ["companies-by-program", "money-by-program"]


def test_millions_round_to_the_nearest() -> None:
    assert [millions(v) for v in (0, 499_999, 500_001, 365_900_000_000)] == [0, 0, 1, 365_900]
