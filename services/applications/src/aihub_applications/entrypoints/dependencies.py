"""FastAPI dependencies of this service's routes (the shared ones are in
`aihub_shared.runtime.http_auth` and `http_params`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from aihub_applications.adapters.catalog_replica import managed_programs
from aihub_applications.settings import Settings
from aihub_shared.contracts.values import CODE_PATTERN
from aihub_shared.runtime.http_auth import StaffDependency, staff_principal

#: A program, cohort or stage code in a path: a value no code can have is a 422.
CodePath = Annotated[str, Path(min_length=2, max_length=64, pattern=CODE_PATTERN)]


def staff_of(settings: Settings) -> StaffDependency:
    """The caller, verified by the issuer's keys; the programs they manage from the replica of
    the catalog (their e-mail is in lower case)."""
    return staff_principal(settings, managed_programs)
