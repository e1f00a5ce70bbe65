"""Calling a service's HTTP API as the signed-in person: their bearer token, the request's
correlation id, timeouts; each answer read into the console's own pydantic model of the
service's documented response model, each refusal raised with the service's reason.

Status by status: 2xx → the model; 401 → `ServiceSignInRequired` (the token was refused: sign
in again); 403, 404, 409, 422 and the other 4xx → `ServiceRefusal` with the service's `detail`;
5xx and network faults → `ServiceUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import structlog
from pydantic import TypeAdapter, ValidationError

log = structlog.get_logger(__name__)

T = TypeVar("T")


class ServiceSignInRequired(Exception):
    """The service refused the person's token (expired, revoked)."""


class ServiceUnavailable(Exception):
    """The service did not answer, or answered 5xx."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class ServiceRefusal(Exception):
    """A 4xx with the service's reason (`detail`: text, or a 422's problems field by field)."""

    def __init__(
        self,
        service: str,
        status: int,
        detail: Any,
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{service} answered {status}")
        self.service = service
        self.status = status
        self.detail = detail
        # The reason's stable name and values (`aihub_shared.refusals`), when it has them: the
        # console says it in the reader's language.
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class ServiceApi:
    """One service as one person sees it, for one request. Each service's module (for example
    `applications_api.py`) subclasses it with one method per call the console makes."""

    name: str
    http: httpx.AsyncClient
    access_token: str
    correlation_id: str

    async def call(
        self,
        method: str,
        path: str,
        answer: type[T] | Any,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> T:
        """`answer` is the model (or type, e.g. `list[Model]`) the service documents for it."""
        response = await self._send(method, path, params=params, json=json)
        try:
            parsed: T = TypeAdapter(answer).validate_json(response.content)
        except ValidationError as exc:
            log.error("service answer does not match its model", service=self.name, path=path)
            raise ServiceUnavailable(self.name, "unexpected answer") from exc
        return parsed

    async def call_no_content(self, method: str, path: str, *, json: Any = None) -> None:
        await self._send(method, path, params=None, json=json)

    async def _send(
        self, method: str, path: str, *, params: dict[str, Any] | None, json: Any
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.access_token}",
            "X-Correlation-Id": self.correlation_id,
            "Accept": "application/json",
        }
        try:
            response = await self.http.request(
                method, path, params=params, json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(self.name, type(exc).__name__) from exc
        if response.status_code == 401:
            raise ServiceSignInRequired(self.name)
        if response.status_code >= 500:
            raise ServiceUnavailable(self.name, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise refusal_of(self.name, response)
        return response


def refusal_of(service: str, response: httpx.Response) -> ServiceRefusal:
    """A 4xx answer (already read) as the refusal it says: `detail`, and `code` and `params`
    when the reason has a stable name."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return ServiceRefusal(service, response.status_code, None)
    code, params = body.get("code"), body.get("params")
    return ServiceRefusal(
        service,
        response.status_code,
        body.get("detail"),
        code=code if isinstance(code, str) else None,
        params=params if isinstance(params, dict) else None,
    )
