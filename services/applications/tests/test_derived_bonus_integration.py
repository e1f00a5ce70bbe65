"""가점 derived from declared answers, on the real Postgres through the intake HTTP door and
the catalog handler: an answer that earns an item grants it at intake (history actor and
`changed_by` "derived", within the cap); a cohort gaining such an item grants it to the
applications already in review when its `cohort.published` arrives; a manager's revocation
(with a reason) is never undone by a later derivation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from aihub_applications.service_layer.derived_bonus import DERIVED
from aihub_applications.service_layer.replicas import replicate_cohort
from aihub_local.testing import handle_in_transaction
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.contracts.registry import contract
from services.applications.tests.support import (
    MANAGER,
    CohortFactory,
    bearer,
    outbox_events,
    submission,
    submit,
)

pytestmark = pytest.mark.integration

QUESTIONS = [
    {"key": "why_now", "label_ko": "왜 지금인가요?", "label_en": "Why now?"},
    {"key": "founder_age", "label_ko": "대표자 연령대", "label_en": "Founder's age group"},
    {"key": "hq_city", "label_ko": "본사 소재지", "label_en": "Head office", "required": False},
]
YOUTH = {
    "code": "youth-founder",
    "name_ko": "청년 창업자",
    "name_en": "Young founder",
    "points": 1.5,
    "answer_key": "founder_age",
    "answer_value": "under-39",
}
SEOUL = {
    "code": "seoul-based",
    "name_ko": "서울 소재",
    "name_en": "Based in Seoul",
    "points": 1,
    "answer_key": "hq_city",
    "answer_value": "Seoul",
}
WOMEN = {"code": "women-owned", "name_ko": "여성 기업", "name_en": "Women-owned", "points": 1}


async def apply(api: httpx.AsyncClient, cohort: CohortPublished, n: int, **answers: str) -> str:
    receipt = await submit(
        api, submission(cohort, n, answers={"why_now": "Pilots finished.", **answers})
    )
    assert receipt["outcome"] == "accepted", receipt
    return str(receipt["application_id"])


async def bonus_history(api: httpx.AsyncClient, app: str) -> list[dict[str, Any]]:
    detail = (await api.get(f"/applications/{app}", headers=bearer(MANAGER))).json()
    return [h for h in detail["history"] if h["action"].startswith("bonus_")]


async def test_answers_earn_bonus_items_at_intake_within_the_cap(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(questions=QUESTIONS, bonus_items=[YOUTH, SEOUL, WOMEN], bonus_cap=2)
    both = await apply(api, cohort, 1, founder_age="under-39", hq_city="  seoul ")
    none = await apply(api, cohort, 2, founder_age="40-49", hq_city="Busan")

    granted = [e for e in await outbox_events(applications_pool, both) if "bonus" in e["type"]]
    # Hand-worked: 1.5, then 1.5 + 1 = 2.5 capped at 2.
    assert [(e["item_code"], e["total"], e["changed_by"]) for e in granted] == [
        ("youth-founder", 1.5, DERIVED),
        ("seoul-based", 2.0, DERIVED),
    ]
    assert granted[0]["reason"] == "founder_age = under-39"
    kinds = [e["type"] for e in await outbox_events(applications_pool, both)]
    assert kinds.index("application.received") < kinds.index("bonus_points.granted")
    assert [e for e in await outbox_events(applications_pool, none) if "bonus" in e["type"]] == []

    history = await bonus_history(api, both)
    assert [(h["actor"], h["action"]) for h in history] == [
        (DERIVED, "bonus_granted"),
        (DERIVED, "bonus_granted"),
    ]
    line = {
        r["id"]: r
        for r in (
            await api.get(f"/cohorts/{cohort.cohort_code}/ranking", headers=bearer(MANAGER))
        ).json()
    }
    assert line[both]["bonus_points"] == 2.0
    assert line[none]["bonus_points"] == 0


async def test_a_new_derived_item_reaches_applications_in_review_and_a_revocation_sticks(
    api: httpx.AsyncClient, applications_pool: asyncpg.Pool, make_cohort: CohortFactory
) -> None:
    cohort = await make_cohort(questions=QUESTIONS, bonus_items=[WOMEN])
    app = await apply(api, cohort, 3, founder_age="under-39")
    assert [e for e in await outbox_events(applications_pool, app) if "bonus" in e["type"]] == []

    async def catalog_says(items: list[dict[str, object]]) -> None:
        changed = cohort.model_copy(
            update={"bonus_items": [cohort.bonus_items[0].model_validate(i) for i in items]}
        )
        event = CloudEvent.new(
            type=contract("cohort.published").type,
            source="/services/programs",
            subject=cohort.cohort_code,
            data=changed,
        ).model_copy(update={"id": str(uuid.uuid4()), "time": datetime.now(UTC)})
        await handle_in_transaction(applications_pool, replicate_cohort, event, changed)

    await catalog_says([WOMEN, YOUTH])
    events = [e for e in await outbox_events(applications_pool, app) if "bonus" in e["type"]]
    assert [(e["type"], e["item_code"], e["changed_by"]) for e in events] == [
        ("bonus_points.granted", "youth-founder", DERIVED)
    ]
    await catalog_says([WOMEN, YOUTH])  # the same catalog again: nothing new
    revoked = await api.post(
        f"/applications/{app}/bonus-points/youth-founder/revocation",
        json={"reason": "the founder is 41 according to the registry"},
        headers=bearer(MANAGER),
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["total"] == 0
    await catalog_says([YOUTH, WOMEN])  # a later catalog change does not derive it again
    events = [e for e in await outbox_events(applications_pool, app) if "bonus" in e["type"]]
    assert [(e["type"], e["changed_by"]) for e in events] == [
        ("bonus_points.granted", DERIVED),
        ("bonus_points.revoked", MANAGER.email),
    ]
