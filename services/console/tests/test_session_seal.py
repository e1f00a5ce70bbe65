"""Session data sealed at rest: opened only with a configured key, only for its own session."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from aihub_console.adapters.session_seal import SessionSeal, new_key
from aihub_console.settings import ConsoleSettings

MINE, THEIRS = hashlib.sha256(b"mine").digest(), hashlib.sha256(b"theirs").digest()
DATA = {"tokens": {"access_token": "eyJ.secret.token", "expires_at": 1.5}, "language": "ko"}


def test_sealed_data_opens_for_its_session_and_shows_nothing_at_rest() -> None:
    seal = SessionSeal([new_key()])
    sealed = seal.seal(MINE, DATA)
    assert b"eyJ" not in sealed
    assert b"access_token" not in sealed
    assert seal.open(MINE, sealed) == DATA


def test_a_row_copied_into_another_session_does_not_open_there() -> None:
    seal = SessionSeal([new_key()])
    assert seal.open(THEIRS, seal.seal(MINE, DATA)) is None


def test_altered_or_foreign_data_does_not_open() -> None:
    seal = SessionSeal([new_key()])
    sealed = bytearray(seal.seal(MINE, DATA))
    sealed[-5] ^= 1
    assert seal.open(MINE, bytes(sealed)) is None
    assert seal.open(MINE, SessionSeal([new_key()]).seal(MINE, DATA)) is None


def test_keys_rotate_the_first_seals_every_one_opens() -> None:
    old, new = new_key(), new_key()
    sealed_before = SessionSeal([old]).seal(MINE, DATA)
    rotating = SessionSeal([new, old])
    assert rotating.open(MINE, sealed_before) == DATA
    sealed_now = rotating.seal(MINE, DATA)
    # Sealed with the new key: it still opens once the old key is dropped; the old row does not.
    assert SessionSeal([new]).open(MINE, sealed_now) == DATA
    assert SessionSeal([new]).open(MINE, sealed_before) is None


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> ConsoleSettings:
    for name in ("SESSION_ENCRYPTION_KEYS", "SESSION_ENCRYPTION_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONSOLE_DATABASE_URL", "postgresql://console:x@localhost/aihub")
    monkeypatch.setenv("OIDC_ISSUER_URL", "http://127.0.0.1:8080/realms/aihub")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "client-secret")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return ConsoleSettings()


def test_settings_take_keys_or_a_file_of_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first, second = new_key(), new_key()
    given = settings(monkeypatch, SESSION_ENCRYPTION_KEYS=f"{first}, {second}")
    assert given.session_keys() == [first, second]
    secret_file = tmp_path / "keys"
    secret_file.write_text(f"{first}\n{second}\n", encoding="utf-8")
    from_file = settings(monkeypatch, SESSION_ENCRYPTION_KEYS_FILE=str(secret_file))
    assert from_file.session_keys() == [first, second]


def test_settings_refuse_a_bad_key_without_repeating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(monkeypatch, SESSION_ENCRYPTION_KEYS="not-a-key-but-a-password")
    assert "44 characters" in str(refused.value)
    assert "not-a-key-but-a-password" not in str(refused.value)
    with pytest.raises(ValidationError, match="exactly one"):
        settings(monkeypatch)
