"""Reviewer pages: `/reviews` (my reviews) and `/reviews/{application_id}`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from aihub_console.entrypoints.deps import Services, services
from aihub_console.entrypoints.pages import render

router = APIRouter(prefix="/reviews", include_in_schema=False)


@router.get("")
async def my_reviews(request: Request, apis: Services = Depends(services)) -> HTMLResponse:
    return render(request, "reviews/list.html", {"groups": []})
