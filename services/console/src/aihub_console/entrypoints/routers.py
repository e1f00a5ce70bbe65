"""Every page group's router, in one list: a new group adds one line."""

from __future__ import annotations

from fastapi import APIRouter

from aihub_console.entrypoints import (
    auth,
    cohort_settings,
    cohorts,
    enrollments,
    health,
    home,
    reviewers,
    reviews,
    selection,
)

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    home.router,
    reviews.router,
    # manager pages
    cohorts.router,
    reviewers.router,
    selection.router,
    enrollments.router,
    cohort_settings.router,
]
