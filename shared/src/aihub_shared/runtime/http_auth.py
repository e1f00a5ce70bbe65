"""The staff API's FastAPI dependencies: who calls (401 with a reason) and whether their role may
call this route at all (403). Finer rules — which program, which application — are the service
layers' (they raise `refusals.Forbidden`)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.refusals import Forbidden
from aihub_shared.runtime.staff_tokens import InvalidStaffToken, verify_staff_token

_bearer = HTTPBearer(auto_error=False, description="Staff token (`aihub-staff-token issue`)")

StaffDependency = Callable[..., StaffPrincipal]


def staff_principal(secret: Callable[[], SecretStr]) -> StaffDependency:
    """A FastAPI dependency yielding the caller, or 401 with a reason."""

    def current_staff(
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> StaffPrincipal:
        if credentials is None:
            raise _unauthorized("a staff bearer token is required")
        try:
            return verify_staff_token(secret().get_secret_value(), credentials.credentials)
        except InvalidStaffToken as exc:
            raise _unauthorized(str(exc)) from exc

    return current_staff


def require_role(current_staff: StaffDependency, *roles: Role) -> StaffDependency:
    """A dependency passing only the given roles (admin always passes), else 403."""
    allowed = {Role.ADMIN, *roles}

    def role_checked(staff: StaffPrincipal = Depends(current_staff)) -> StaffPrincipal:
        if staff.role not in allowed:
            raise Forbidden(f"the {staff.role.value} role may not do this")
        return staff

    return role_checked


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )
