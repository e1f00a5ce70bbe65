"""Staff bearer-token check for the HTTP APIs (roles per user come with the review issues)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

_bearer = HTTPBearer(auto_error=False, description="Staff API token")


def staff_token_guard(token: Callable[[], SecretStr]) -> Callable[..., None]:
    """A FastAPI dependency refusing requests without the staff token (401, with a reason)."""

    def require_staff(
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> None:
        expected = token().get_secret_value().encode()
        if credentials is None or not hmac.compare_digest(
            credentials.credentials.encode(), expected
        ):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="a valid staff bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_staff
