"""Session data sealed at rest: the person's access, refresh and ID tokens (and the rest of the
session) are stored encrypted, so a copy of the console's table, a backup or a replica shows
none of them.

Fernet from `cryptography` (AES-128-CBC with an HMAC-SHA256 tag, timestamped) through
`MultiFernet`: the first configured key seals, any of them opens, so keys rotate by putting a
new one first and dropping the old one once every session sealed with it has ended (at most
`SESSION_MAX_HOURS`; a save re-seals with the first key). The sealed text names the session it
belongs to (the SHA-256 of its id): one row's data copied into another row does not open there,
so whoever may write the table still cannot take over another person's session.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def new_key() -> str:
    """A fresh key (32 random bytes, URL-safe base64), as `SESSION_ENCRYPTION_KEYS` takes it."""
    return Fernet.generate_key().decode()


def check_key(key: str) -> None:
    """ValueError if `key` is not a Fernet key (the message never repeats the key)."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        raise ValueError("a key is 32 bytes in URL-safe base64 (44 characters)") from None


class SessionSeal:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def seal(self, owner: bytes, data: dict[str, Any]) -> bytes:
        """`data` (JSON values) sealed for the session whose id hashes to `owner`."""
        plain = json.dumps({"owner": owner.hex(), "data": data}, separators=(",", ":"))
        return self._fernet.encrypt(plain.encode())

    def open(self, owner: bytes, sealed: bytes) -> dict[str, Any] | None:
        """The data sealed for `owner`; None if no key opens it, it was altered, or it was
        sealed for another session."""
        try:
            opened = json.loads(self._fernet.decrypt(sealed))
        except InvalidToken:
            return None
        if not isinstance(opened, dict) or opened.get("owner") != owner.hex():
            return None
        data = opened.get("data")
        return data if isinstance(data, dict) else None
