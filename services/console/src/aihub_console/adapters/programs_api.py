"""The programs service's HTTP API as the console calls it. Each page group adds the calls (and
the models of their documented answers) it needs as separate methods, so additions merge."""

from __future__ import annotations

from pydantic import BaseModel

from aihub_console.adapters.service_api import ServiceApi

# ===== outcomes (console-ops) =====


class QuarterFigures(BaseModel):
    quarter: str
    companies_reporting: int
    revenue_krw: int
    investment_krw: int
    headcount: int


class ProgramFigures(BaseModel):
    program_code: str
    program_name_ko: str
    program_name_en: str
    companies_supported: int
    cumulative_revenue_krw: int
    cumulative_investment_krw: int
    latest_headcount: int


class Outcomes(BaseModel):
    """`GET /outcomes` (the hub) or `GET /cohorts/{code}/outcomes` (with `cohort_code`)."""

    companies_supported: int
    companies_reporting: int
    reports: int
    cumulative_revenue_krw: int
    cumulative_investment_krw: int
    latest_headcount: int
    by_quarter: list[QuarterFigures]
    by_program: list[ProgramFigures]
    cohort_code: str | None = None


class ProgramCohorts(BaseModel):
    """A program of `GET /programs`, as far as choosing one of its cohorts goes."""

    code: str
    name_ko: str
    name_en: str
    cohorts: list[str]


class ProgramsApi(ServiceApi):
    """Calls of the programs service, as the signed-in person."""

    # ----- outcomes (console-ops) -----

    async def outcomes(self, cohort_code: str | None = None) -> Outcomes:
        path = f"/cohorts/{cohort_code}/outcomes" if cohort_code else "/outcomes"
        return await self.call("GET", path, Outcomes)

    async def program_cohorts(self) -> list[ProgramCohorts]:
        return await self.call("GET", "/programs", list[ProgramCohorts])
