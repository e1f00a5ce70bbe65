"""`/outcomes` and `/outcomes?cohort=`: the hub's (or a cohort's) companies supported, cumulative
revenue and investment, headcount — figures, charts by quarter and by program, and for each
chart a table saying the same. The figures are programs' (`GET /outcomes`); the charts' data
travel as JSON in a `<script type="application/json">` block that `static/outcomes.js` hands to
Chart.js, so the page runs no inline script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from aihub_console.domain.charts import ChartWords, outcome_charts
from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.i18n import gettext, language_of, localized
from aihub_console.entrypoints.pages import render

router = APIRouter(include_in_schema=False)

#: A cohort code, or empty: the whole hub (what the form's first choice sends).
COHORT_CODE = r"^([a-z0-9][a-z0-9-]{1,63})?$"


def chart_words(request: Request) -> ChartWords:
    return ChartWords(
        money_by_quarter=gettext(request, "Revenue and investment by quarter"),
        headcount_by_quarter=gettext(request, "Headcount by quarter"),
        companies_by_program=gettext(request, "Companies supported by program"),
        money_by_program=gettext(request, "Cumulative revenue and investment by program"),
        revenue=gettext(request, "Revenue"),
        investment=gettext(request, "Investment raised"),
        headcount=gettext(request, "Headcount"),
        companies=gettext(request, "Companies"),
        million_krw=gettext(request, "million KRW"),
        people=gettext(request, "people"),
    )


@router.get("/outcomes")
async def outcomes(
    request: Request,
    cohort: Annotated[str, Query(pattern=COHORT_CODE)] = "",
    apis: Services = Depends(services),
) -> HTMLResponse:
    figures = await apis.programs.outcomes(cohort or None)
    programs = await apis.programs.program_cohorts()
    language = language_of(request)
    named = [
        (localized({"ko": p.program_name_ko, "en": p.program_name_en}, language), p)
        for p in figures.by_program
    ]
    charts = outcome_charts(figures.by_quarter, named, chart_words(request))
    context = {"figures": figures, "charts": charts, "programs": programs, "cohort": cohort}
    return render(request, "outcomes/outcomes.html", context)
