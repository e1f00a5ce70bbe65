"""The staff API's FastAPI dependencies: who calls (401 with a reason) and whether their role may
call this route at all (403). Finer rules — which program, which application — are the service
layers' (they raise `refusals.Forbidden`).

Who calls and their global role (admin, ops) come from the verified token (`oidc.py`); which
programs they manage comes from the service's own catalog (its table or its replica), looked up
on each request, so the manager who receives a program's mails is exactly the one who may act on
it, and removing them from the catalog removes the right at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Forbidden
from aihub_shared.runtime.oidc import (
    IdentityProviderUnavailable,
    InvalidStaffToken,
    OidcSettings,
    OidcVerifier,
    TokenIdentity,
)
from aihub_shared.runtime.service import runtime_of

_bearer = HTTPBearer(
    auto_error=False, description="An access token of the hub's identity provider (Keycloak)"
)

StaffDependency = Callable[..., Awaitable[StaffPrincipal]]
#: The program codes the catalog lists this (lower-cased) e-mail as a manager of.
ManagedPrograms = Callable[[asyncpg.Pool, str], Awaitable[frozenset[str]]]


#: One verifier (one key cache) per settings, however many routers a service builds.
_verifiers: dict[OidcSettings, OidcVerifier] = {}


def staff_principal(settings: OidcSettings, managed_programs: ManagedPrograms) -> StaffDependency:
    """A FastAPI dependency yielding the caller, or 401 with a reason."""
    verifier = _verifiers.setdefault(settings, OidcVerifier(settings))

    async def current_staff(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> StaffPrincipal:
        if credentials is None:
            raise _unauthorized("a staff bearer token is required")
        try:
            identity = await verifier.verify(credentials.credentials)
        except InvalidStaffToken as exc:
            raise _unauthorized(str(exc)) from exc
        except IdentityProviderUnavailable as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
        programs = await managed_programs(runtime_of(request).pool, identity.id)
        return principal_of(identity, programs)

    return current_staff


def principal_of(identity: TokenIdentity, programs: frozenset[str]) -> StaffPrincipal:
    """Admin or ops by the token; otherwise a program manager of the catalog's programs, or a
    reviewer (who sees only what they are assigned)."""
    if identity.global_role is not None:
        role = identity.global_role
    else:
        role = Role.PROGRAM_MANAGER if programs else Role.REVIEWER
    return StaffPrincipal(id=identity.id, name=identity.name, role=role, programs=programs)


def require_role(current_staff: StaffDependency, *roles: Role) -> StaffDependency:
    """A dependency passing only the given roles (admin always passes), else 403."""
    allowed = {Role.ADMIN, *roles}

    async def role_checked(staff: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:
        if staff.role not in allowed:
            raise Forbidden(f"the {staff.role.value} role may not do this")
        return staff

    return role_checked


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )
