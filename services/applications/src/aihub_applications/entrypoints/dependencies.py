"""FastAPI dependencies of this service's routes (the shared ones are in
`aihub_shared.runtime.http_auth` and `http_params`)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Path

from aihub_applications.settings import Settings
from aihub_shared.contracts.values import CODE_PATTERN
from aihub_shared.identity import StaffPrincipal
from aihub_shared.runtime.http_auth import StaffDependency, staff_principal

#: A program, cohort or stage code in a path: a value no code can have is a 422.
CodePath = Annotated[str, Path(min_length=2, max_length=64, pattern=CODE_PATTERN)]


def staff_of(settings: Settings) -> StaffDependency:
    """The caller, their e-mail in lower case: reviewers are matched to their assignments by
    it, and the `Kim@hub.example` a manager names is the `kim@hub.example` of a token."""
    verified = staff_principal(lambda: settings.staff_token_secret)

    def current_staff(staff: StaffPrincipal = Depends(verified)) -> StaffPrincipal:
        return dataclasses.replace(staff, id=staff.id.lower())

    return current_staff
