"""Every page group's router, in one list: a new group adds one line."""

from __future__ import annotations

from fastapi import APIRouter

from aihub_console.entrypoints import (
    appeals,
    auth,
    cohort_settings,
    cohorts,
    enrollments,
    health,
    home,
    ops,
    ops_mail,
    outcomes,
    reviewers,
    reviews,
    selection,
    selection_rules,
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
    selection_rules.router,
    appeals.router,
    enrollments.router,
    cohort_settings.router,
    outcomes.router,
    ops.router,
    ops_mail.router,
]
