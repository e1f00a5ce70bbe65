"""FastAPI dependencies of the pages: the services as the signed-in person sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from fastapi import Depends, Request

from aihub_console.adapters.applications_api import ApplicationsApi
from aihub_console.adapters.identity_provider import IdentityProvider
from aihub_console.adapters.notifications_api import NotificationsApi
from aihub_console.adapters.programs_api import ProgramsApi
from aihub_console.domain.people import Person
from aihub_console.service_layer.signin import SignInRequired, access_token, signed_in_person


@dataclass(frozen=True)
class Services:
    applications: ApplicationsApi
    programs: ProgramsApi
    notifications: NotificationsApi


def identity_provider(request: Request) -> IdentityProvider:
    provider: IdentityProvider = request.app.state.identity_provider
    return provider


def person(request: Request) -> Person:
    """The signed-in person, or `SignInRequired` (answered with the way to sign in)."""
    found = signed_in_person(request.session)
    if found is None:
        raise SignInRequired("not signed in")
    return found


async def services(
    request: Request,
    provider: IdentityProvider = Depends(identity_provider),
    _person: Person = Depends(person),
) -> Services:
    token = await access_token(request.session, provider)
    correlation_id = request.headers.get("X-Correlation-Id") or str(uuid.uuid4())
    clients: dict[str, httpx.AsyncClient] = request.app.state.service_clients
    return Services(
        applications=ApplicationsApi(
            "applications", clients["applications"], token, correlation_id
        ),
        programs=ProgramsApi("programs", clients["programs"], token, correlation_id),
        notifications=NotificationsApi(
            "notifications", clients["notifications"], token, correlation_id
        ),
    )
