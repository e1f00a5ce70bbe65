"""The signed-in person as the console knows them: for greeting and for hiding links nobody
could use. What they may see or do is decided by the services' answers, never here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    #: Realm roles in the person's access token (`admin`, `ops`): a hint for navigation only.
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_ops(self) -> bool:
        return "ops" in self.roles or self.is_admin

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "roles": sorted(self.roles)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Person:
        return cls(
            email=str(data["email"]),
            name=str(data.get("name") or data["email"]),
            roles=frozenset(str(role) for role in data.get("roles", [])),
        )
