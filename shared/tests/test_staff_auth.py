"""Staff tokens: who may call the HTTP APIs, checked by each service on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import SecretStr

from aihub_shared.identity import Role, StaffPrincipal
from aihub_shared.runtime.http_auth import require_role, staff_principal
from aihub_shared.runtime.http_errors import answer_refusals
from aihub_shared.runtime.staff_tokens import (
    InvalidStaffToken,
    issue_staff_token,
    verify_staff_token,
)

SECRET = "x" * 40


def test_a_token_round_trips_its_claims() -> None:
    token = issue_staff_token(
        SECRET, subject="pm@hub.example", name="PM", role=Role.PROGRAM_MANAGER, programs={"cv"}
    )
    staff = verify_staff_token(SECRET, token)
    assert staff == StaffPrincipal("pm@hub.example", "PM", Role.PROGRAM_MANAGER, frozenset({"cv"}))
    assert staff.manages("cv")
    assert not staff.manages("membership")


def test_the_principal_is_named_by_the_lower_cased_address() -> None:
    token = issue_staff_token(SECRET, subject="Kim@Hub.example", name="Kim", role=Role.REVIEWER)
    assert verify_staff_token(SECRET, token).id == "kim@hub.example"


def test_admin_manages_every_program_and_reviewer_none() -> None:
    assert StaffPrincipal("a@hub.example", "A", Role.ADMIN).manages("anything")
    assert not StaffPrincipal("r@hub.example", "R", Role.REVIEWER, frozenset({"cv"})).manages("cv")


@pytest.mark.parametrize(
    "token",
    [
        issue_staff_token("y" * 40, subject="a@hub.example", name="A", role=Role.ADMIN),
        issue_staff_token(
            SECRET,
            subject="a@hub.example",
            name="A",
            role=Role.ADMIN,
            now=datetime.now(UTC) - timedelta(days=2),
            ttl=timedelta(days=1),
        ),
        "not-a-jwt",
    ],
    ids=["other-secret", "expired", "garbage"],
)
def test_forged_expired_and_garbage_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidStaffToken):
        verify_staff_token(SECRET, token)


def test_a_program_manager_token_needs_programs_and_subjects_are_emails() -> None:
    with pytest.raises(ValueError, match="program"):
        issue_staff_token(SECRET, subject="pm@hub.example", name="PM", role=Role.PROGRAM_MANAGER)
    with pytest.raises(ValueError, match="email"):
        issue_staff_token(SECRET, subject="not an email", name="X", role=Role.ADMIN)


async def test_the_dependencies_answer_401_and_403_with_reasons() -> None:
    current = staff_principal(lambda: SecretStr(SECRET))
    reviewer_or_admin = require_role(current, Role.REVIEWER)
    app = FastAPI()
    answer_refusals(app)

    @app.get("/reviewers-only")
    async def reviewers_only(staff: StaffPrincipal = Depends(reviewer_or_admin)) -> str:
        return staff.id

    def bearer(role: Role) -> dict[str, str]:
        token = issue_staff_token(
            SECRET, subject="s@hub.example", name="S", role=role, programs={"cv"}
        )
        return {"Authorization": f"Bearer {token}"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        missing = await client.get("/reviewers-only")
        assert missing.status_code == 401
        assert "required" in missing.json()["detail"]
        ops = await client.get("/reviewers-only", headers=bearer(Role.OPS))
        assert ops.status_code == 403
        assert "ops" in ops.json()["detail"]
        for allowed in (Role.REVIEWER, Role.ADMIN):
            ok = await client.get("/reviewers-only", headers=bearer(allowed))
            assert ok.status_code == 200
            assert ok.json() == "s@hub.example"
