"""Every page group's router, in one list: a new group adds one line."""

from __future__ import annotations

from fastapi import APIRouter

from aihub_console.entrypoints import auth, health, home, ops, ops_mail, outcomes, reviews

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    home.router,
    reviews.router,
    outcomes.router,
    ops.router,
    ops_mail.router,
]
