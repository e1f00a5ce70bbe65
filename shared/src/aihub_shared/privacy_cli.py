"""`aihub-privacy export`: everything the platform holds about a person, from all three services
(an access request, PIPA art. 35 / GDPR art. 15), as one JSON document.

applications is asked first: it turns an address into the person's applications, whose ids the
others are then asked about (programs knows applicants by application id only). It calls each
service's `POST /privacy/exports` with an admin's token (`AIHUB_ADMIN_TOKEN`, e.g. from
`./dev token --role admin`): the person is named in the request body, never in a URL.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from typing import Any

import httpx
import typer

from aihub_shared.contracts.privacy import PersonalDataHeld, PersonRef
from aihub_shared.runtime.privacy_routes import EXPORT_PATH

app = typer.Typer(help="Personal-data requests across the platform.", no_args_is_help=True)

SERVICES = ("applications", "programs", "notifications")


@app.callback()
def main() -> None:
    """Commands stay named (`aihub-privacy export`), however many there are."""


async def _held(client: httpx.AsyncClient, base_url: str, person: PersonRef) -> PersonalDataHeld:
    response = await client.post(
        base_url.rstrip("/") + EXPORT_PATH, json=person.model_dump(mode="json")
    )
    if response.status_code != 200:
        raise RuntimeError(f"{base_url}: {response.status_code} {response.text[:500]}")
    return PersonalDataHeld.model_validate(response.json())


async def export_person(urls: Mapping[str, str], token: str, person: PersonRef) -> dict[str, Any]:
    """The three services' parts, joined: `{"person": ..., "services": {name: part}}`."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        first = await _held(client, urls["applications"], person)
        ids = sorted({*person.application_ids, *first.application_ids})
        known = person.model_copy(update={"application_ids": ids})
        rest = await asyncio.gather(
            *(_held(client, urls[name], known) for name in SERVICES if name != "applications")
        )
    return {
        "person": known.model_dump(mode="json"),
        "services": {part.service: part.model_dump(mode="json") for part in (first, *rest)},
    }


@app.command("export")
def export_command(
    email: str | None = typer.Option(None, help="The person's e-mail address."),
    application_id: list[str] = typer.Option([], help="An application id (repeatable)."),
    applications_url: str = typer.Option(..., envvar="APPLICATIONS_URL"),
    programs_url: str = typer.Option(..., envvar="PROGRAMS_URL"),
    notifications_url: str = typer.Option(..., envvar="NOTIFICATIONS_URL"),
    token: str = typer.Option(
        ...,
        envvar="AIHUB_ADMIN_TOKEN",
        help="An admin's access token (from the environment).",
        show_default=False,
    ),
) -> None:
    """Print, as JSON, every row the three services hold about a person."""
    person = PersonRef(email=email, application_ids=application_id)
    urls = {
        "applications": applications_url,
        "programs": programs_url,
        "notifications": notifications_url,
    }
    document = asyncio.run(export_person(urls, token, person))
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
