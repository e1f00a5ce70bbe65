"""When the signed-in person's tokens are refreshed, and what a refresh answer keeps."""

from __future__ import annotations

from aihub_console.domain.tokens import REFRESH_MARGIN_SECONDS, Tokens

NOW = 1_800_000_000.0
#: Stand-ins: the rules never look inside a token.
ACCESS, REFRESH, ID, ACCESS_2 = "access-1", "refresh-1", "id-1", "access-2"


def tokens(expires_in: float, refresh_in: float | None = 1800.0) -> Tokens:
    return Tokens(
        access_token=ACCESS,
        refresh_token=REFRESH if refresh_in is not None else None,
        id_token=ID,
        expires_at=NOW + expires_in,
        refresh_expires_at=NOW + refresh_in if refresh_in is not None else None,
    )


def test_refreshed_shortly_before_the_access_token_expires() -> None:
    assert not tokens(REFRESH_MARGIN_SECONDS + 1).needs_refresh(NOW)
    assert tokens(REFRESH_MARGIN_SECONDS).needs_refresh(NOW)
    assert tokens(-5).needs_refresh(NOW)


def test_no_refresh_without_a_live_refresh_token() -> None:
    assert tokens(0, refresh_in=10).can_refresh(NOW)
    assert not tokens(0, refresh_in=-1).can_refresh(NOW)
    assert not tokens(0, refresh_in=None).can_refresh(NOW)


def test_a_refresh_answer_without_id_or_refresh_token_keeps_the_previous_ones() -> None:
    previous = tokens(10)
    renewed = Tokens.from_token_response(
        {"access_token": ACCESS_2, "expires_in": 300, "refresh_expires_in": 1800}, NOW, previous
    )
    assert renewed.access_token == ACCESS_2
    assert renewed.refresh_token == REFRESH
    assert renewed.id_token == ID
    assert renewed.expires_at == NOW + 300
    assert renewed.refresh_expires_at == NOW + 1800
    assert Tokens.from_json(renewed.to_json()) == renewed
