"""Staff identity for the HTTP APIs: signed bearer tokens carrying a role.

The three services share no database, so they cannot share a user table. Instead a staff member
holds a JWT (HS256) signed with ``STAFF_TOKEN_SECRET`` that every service verifies on its own:
subject (the staff member's e-mail, which is also how notifications reach them), display name,
role and — for program managers — the programs they manage. ``aihub-staff-token issue`` mints one;
an identity provider could take over later without changing the services.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
import typer
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import EmailStr, Field, SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ISSUER = "aihub"
AUDIENCE = "aihub-staff-api"
ALGORITHM = "HS256"


class Role(StrEnum):
    ADMIN = "admin"
    PROGRAM_MANAGER = "program_manager"
    REVIEWER = "reviewer"
    OPS = "ops"


@dataclass(frozen=True)
class StaffPrincipal:
    """Who is calling. ``id`` is the staff member's e-mail address."""

    id: str
    name: str
    role: Role
    programs: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def manages(self, program_code: str) -> bool:
        """Admins manage every program; a program manager only the ones in the token."""
        return self.is_admin or (
            self.role is Role.PROGRAM_MANAGER and program_code in self.programs
        )


_EMAIL = TypeAdapter(EmailStr)


def issue_staff_token(
    secret: str,
    *,
    subject: str,
    name: str,
    role: Role,
    programs: frozenset[str] | set[str] | list[str] = frozenset(),
    ttl: timedelta = timedelta(days=30),
    now: datetime | None = None,
) -> str:
    """A signed token for one staff member; the subject must be an e-mail address."""
    _EMAIL.validate_python(subject)
    if role is Role.PROGRAM_MANAGER and not programs:
        raise ValueError("a program manager token needs at least one program")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "name": name,
        "role": role.value,
        "programs": sorted(programs),
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class InvalidStaffToken(Exception):
    pass


def verify_staff_token(secret: str, token: str) -> StaffPrincipal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
        role = Role(str(claims.get("role")))
        subject = _EMAIL.validate_python(claims["sub"])
        programs = claims.get("programs", [])
        if not isinstance(programs, list) or not all(isinstance(p, str) for p in programs):
            raise InvalidStaffToken("the programs claim must be a list of program codes")
    except jwt.ExpiredSignatureError as exc:
        raise InvalidStaffToken("the staff token has expired") from exc
    except (jwt.InvalidTokenError, ValueError, ValidationError) as exc:
        raise InvalidStaffToken("the staff token is not valid") from exc
    return StaffPrincipal(
        id=subject,
        name=str(claims.get("name") or subject),
        role=role,
        programs=frozenset(programs),
    )


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
            raise forbidden(f"the {staff.role.value} role may not do this")
        return staff

    return role_checked


def forbidden(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=reason)


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


class StaffApiSettings(BaseSettings):
    """Mixed into the settings of each service with a staff HTTP API."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    staff_token_secret: SecretStr = Field(
        validation_alias="STAFF_TOKEN_SECRET",
        min_length=32,
        description="HMAC secret that signs staff tokens; the same value in every service.",
    )


app = typer.Typer(help="Mint staff bearer tokens for the HTTP APIs.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Keeps `issue` a subcommand, so more (e.g. `inspect`) can follow."""


@app.command("issue")
def issue_command(
    subject: Annotated[str, typer.Option("--email", help="The staff member's e-mail address.")],
    role: Annotated[Role, typer.Option(help="admin, program_manager, reviewer or ops.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    program: Annotated[
        list[str] | None, typer.Option(help="A managed program code (repeat for several).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Validity in days.")] = 30,
) -> None:
    """Print a token signed with $STAFF_TOKEN_SECRET."""
    secret = StaffApiSettings().staff_token_secret.get_secret_value()
    token = issue_staff_token(
        secret,
        subject=subject,
        name=name or subject,
        role=role,
        programs=frozenset(program or []),
        ttl=timedelta(days=days),
    )
    typer.echo(token)
