"""`/`: what the signed-in person can do, `/lang/{ko|en}`: the language switch."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from aihub_console.entrypoints.auth import local_path
from aihub_console.entrypoints.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.post("/lang/{language}")
async def switch_language(
    request: Request,
    language: Literal["ko", "en"],
    next: str = Form(default="/"),
) -> RedirectResponse:
    request.session["language"] = language
    return RedirectResponse(local_path(next), status_code=303)
