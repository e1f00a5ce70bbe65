"""The console's ASGI app: pages of every group, sessions in its own schema, CSRF on every
state-changing request, security headers on every answer, static assets (its own and the
npm-installed ones under `/static/vendor/`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib import resources
from pathlib import Path

import httpx
import structlog
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from aihub_console.adapters.identity_provider import IdentityProvider
from aihub_console.adapters.session_seal import SessionSeal
from aihub_console.adapters.session_store import SessionStore
from aihub_console.entrypoints.csrf import verify_csrf
from aihub_console.entrypoints.errors import install_error_pages
from aihub_console.entrypoints.routers import ROUTERS
from aihub_console.entrypoints.security_headers import SecurityHeaders, security_headers
from aihub_console.entrypoints.session_middleware import ServerSideSessions
from aihub_console.settings import ConsoleSettings
from aihub_shared.runtime.db import apply_migrations, create_pool
from aihub_shared.runtime.logging import configure_logging

log = structlog.get_logger(__name__)

#: How often sessions past their expiry are deleted.
PURGE_INTERVAL_SECONDS = 600.0


def static_dir() -> Path:
    return Path(str(resources.files("aihub_console").joinpath("static")))


def build_app(settings: ConsoleSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("console", level=settings.log_level, json=settings.log_json)
        pool = await create_pool(settings.database_dsn, max_size=settings.db_pool_max_size)
        await apply_migrations(pool, "aihub_console", with_kit_tables=False)
        store = SessionStore(
            pool,
            SessionSeal(settings.session_keys()),
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(hours=settings.session_max_hours),
        )
        app.state.pool = pool
        app.state.session_store = store
        timeout = httpx.Timeout(settings.service_timeout_seconds)
        # Idle connections are dropped before the services' own keep-alive (uvicorn: 5 s) ends
        # them: reusing one the server is closing that instant fails the request
        # (RemoteProtocolError, seen as a service "not answering" on a page).
        limits = httpx.Limits(keepalive_expiry=2.0)
        app.state.service_clients = {
            name: httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)
            for name, url in (
                ("applications", settings.applications_url),
                ("programs", settings.programs_url),
                ("notifications", settings.notifications_url),
            )
        }
        purge = asyncio.create_task(_purge_expired(store), name="session-purge")
        log.info("console started", http_port=settings.http_port, url=settings.console_base_url)
        try:
            yield
        finally:
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
            for client in app.state.service_clients.values():
                await client.aclose()
            await pool.close()
            log.info("console stopped")

    app = FastAPI(
        title="Seoul AI Hub staff console",
        lifespan=lifespan,
        dependencies=[Depends(verify_csrf)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.identity_provider = IdentityProvider(settings)
    headers = security_headers(
        identity_provider_origin=app.state.identity_provider.issuer_origin,
        hsts=settings.console_base_url.startswith("https://"),
    )
    install_error_pages(app, headers)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    # Outermost first: headers on every answer, then the session around the routes.
    app.add_middleware(
        ServerSideSessions,
        secure=settings.session_cookie_secure,
        max_age=settings.session_max_hours * 3600,
    )
    app.add_middleware(SecurityHeaders, headers=headers)
    return app


async def _purge_expired(store: SessionStore) -> None:
    while True:
        try:
            removed = await store.purge_expired()
            if removed:
                log.info("expired sessions removed", count=removed)
        except Exception as exc:  # the next round tries again; a down database is logged once
            log.warning("session purge failed", error=type(exc).__name__)
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
