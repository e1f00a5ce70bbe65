"""Staff bearer tokens: JWTs (HS256) signed with ``STAFF_TOKEN_SECRET``.

The three services share no database, so they cannot share a user table. Instead a staff member
holds a token that every service verifies on its own: subject (the staff member's e-mail, which is
also how notifications reach them), display name, role and — for program managers — the programs
they manage. ``aihub-staff-token issue`` mints one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pydantic import EmailStr, Field, SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from aihub_shared.identity import Role, StaffPrincipal

ISSUER = "aihub"
AUDIENCE = "aihub-staff-api"
ALGORITHM = "HS256"

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
    # Addresses are compared in lower case everywhere: the `Kim@hub.example` a manager names as a
    # reviewer is the `kim@hub.example` of a token.
    return StaffPrincipal(
        id=subject.lower(),
        name=str(claims.get("name") or subject),
        role=role,
        programs=frozenset(programs),
    )


class StaffApiSettings(BaseSettings):
    """Mixed into the settings of each service with a staff HTTP API."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    staff_token_secret: SecretStr = Field(
        validation_alias="STAFF_TOKEN_SECRET",
        min_length=32,
        description="HMAC secret that signs staff tokens; the same value in every service.",
    )
