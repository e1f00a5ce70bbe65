"""Use cases of signing in and out, over the server-side session (a plain dict): record who
signed in and their tokens, hand out a valid access token (refreshing it first when it is about
to expire), forget it all on sign-out."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import jwt

from aihub_console.adapters.identity_provider import IdentityProvider, SignInFailed
from aihub_console.domain.people import Person
from aihub_console.domain.tokens import Tokens

Session = MutableMapping[str, Any]


class SignInRequired(Exception):
    """Nobody is signed in, or their provider session is over: sign in (again)."""


def signed_in_person(session: Session) -> Person | None:
    data = session.get("person")
    return Person.from_json(data) if isinstance(data, dict) else None


def record_sign_in(session: Session, token: dict[str, Any], *, now: float | None = None) -> Person:
    """After the provider's verified answer: the person (from the ID token's claims) and tokens."""
    claims = token["userinfo"]
    email = str(claims.get("email") or claims.get("preferred_username") or "").lower()
    if not email:
        raise SignInFailed("the ID token names no e-mail address")
    person = Person(
        email=email,
        name=str(claims.get("name") or email),
        roles=_realm_roles(str(token["access_token"])),
    )
    tokens = Tokens.from_token_response(token, now if now is not None else time.time())
    session["person"] = person.to_json()
    session["tokens"] = tokens.to_json()
    return person


async def access_token(session: Session, provider: IdentityProvider) -> str:
    """The signed-in person's access token, refreshed first if it is about to expire."""
    stored = session.get("tokens")
    if not isinstance(stored, dict):
        raise SignInRequired("not signed in")
    tokens = Tokens.from_json(stored)
    now = time.time()
    if not tokens.needs_refresh(now):
        return tokens.access_token
    if not tokens.can_refresh(now) or tokens.refresh_token is None:
        sign_out(session)
        raise SignInRequired("the sign-in has expired")
    try:
        answer = await provider.refresh(tokens.refresh_token)
    except SignInFailed as exc:
        sign_out(session)
        raise SignInRequired(str(exc)) from exc
    renewed = Tokens.from_token_response(answer, now, previous=tokens)
    session["tokens"] = renewed.to_json()
    return renewed.access_token


def sign_out(session: Session) -> str | None:
    """Forget the person and their tokens; returns the ID token (the provider's logout hint)."""
    stored = session.pop("tokens", None)
    session.pop("person", None)
    return stored.get("id_token") if isinstance(stored, dict) else None


def _realm_roles(access_token: str) -> frozenset[str]:
    """The realm roles the access token carries, read for navigation only: the token came from
    the provider over the back channel just now, and every service verifies it on its own."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    roles = claims.get("realm_access", {}).get("roles", [])
    return frozenset(str(role) for role in roles if role in ("admin", "ops"))
