"""Every page group's router, in one list: a new group adds one line."""

from __future__ import annotations

from fastapi import APIRouter

from aihub_console.entrypoints import auth, health, home, reviews

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    home.router,
    reviews.router,
]
