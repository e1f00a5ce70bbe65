"""The outcome charts, as data: what each chart draws and the table that says the same to a
screen reader. Pure: the page passes the figures (programs' `GET /outcomes`) and the words in
the reader's language; `static/outcomes.js` hands `config` to Chart.js as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


class QuarterFigures(Protocol):
    @property
    def quarter(self) -> str: ...
    @property
    def revenue_krw(self) -> int: ...
    @property
    def investment_krw(self) -> int: ...
    @property
    def headcount(self) -> int: ...


class ProgramFigures(Protocol):
    @property
    def companies_supported(self) -> int: ...
    @property
    def cumulative_revenue_krw(self) -> int: ...
    @property
    def cumulative_investment_krw(self) -> int: ...


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]


@dataclass(frozen=True)
class Chart:
    """One chart: its id (the canvas's), title, category labels and one series per measure.
    The table has a row per label and a column per series."""

    id: str
    title: str
    kind: Literal["bar", "line"]
    labels: list[str]
    series: list[Series]
    unit: str

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]

    def config(self) -> dict[str, Any]:
        """Chart.js's configuration: no function in it, so it travels as JSON."""
        return {
            "type": self.kind,
            "data": {
                "labels": self.labels,
                "datasets": [{"label": s.label, "data": s.values} for s in self.series],
            },
            "options": {
                "responsive": True,
                "maintainAspectRatio": False,
                "animation": False,
                "plugins": {"title": {"display": False}},
                "scales": {
                    "y": {
                        "beginAtZero": True,
                        # Whole companies, people and million won: no 0.5 on the axis.
                        "ticks": {"precision": 0},
                        "title": {"display": True, "text": self.unit},
                    }
                },
            },
        }


def millions(krw: int) -> int:
    """Won in millions, rounded: what a bar can show of ₩365.9B."""
    return round(krw / 1_000_000)


@dataclass(frozen=True)
class ChartWords:
    """The titles and labels of the charts in the reader's language."""

    money_by_quarter: str
    headcount_by_quarter: str
    companies_by_program: str
    money_by_program: str
    revenue: str
    investment: str
    headcount: str
    companies: str
    million_krw: str
    people: str


def outcome_charts(
    by_quarter: Sequence[QuarterFigures],
    by_program: Sequence[tuple[str, ProgramFigures]],
    words: ChartWords,
) -> list[Chart]:
    """By quarter (revenue and investment in that quarter, headcount) and by program
    (companies supported, cumulative revenue and investment); `by_program` pairs each
    program's name in the reader's language with its figures. Charts with no data are left
    out (the page says there is nothing yet)."""
    quarters = [q.quarter for q in by_quarter]
    programs = [name for name, _ in by_program]
    figures = [f for _, f in by_program]
    charts = [
        Chart(
            "money-by-quarter",
            words.money_by_quarter,
            "bar",
            quarters,
            [
                Series(words.revenue, [millions(q.revenue_krw) for q in by_quarter]),
                Series(words.investment, [millions(q.investment_krw) for q in by_quarter]),
            ],
            words.million_krw,
        ),
        Chart(
            "headcount-by-quarter",
            words.headcount_by_quarter,
            "line",
            quarters,
            [Series(words.headcount, [q.headcount for q in by_quarter])],
            words.people,
        ),
        Chart(
            "companies-by-program",
            words.companies_by_program,
            "bar",
            programs,
            [Series(words.companies, [f.companies_supported for f in figures])],
            words.companies,
        ),
        Chart(
            "money-by-program",
            words.money_by_program,
            "bar",
            programs,
            [
                Series(words.revenue, [millions(f.cumulative_revenue_krw) for f in figures]),
                Series(words.investment, [millions(f.cumulative_investment_krw) for f in figures]),
            ],
            words.million_krw,
        ),
    ]
    return [chart for chart in charts if chart.labels]
