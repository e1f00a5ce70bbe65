"""The publishing systems' door for appeals (이의제기) and challenges (기피 신청):
`appeal.requested` and `challenge.requested` on `intake.selection-requests`, each answered by a
`selection_request.receipt` on `intake.receipts` — accepted with the appeal's or challenge's id,
or refused with the reason. The same record twice is one effect and one receipt (the inbox);
the same request sent again (a new event, the same `request_id`) changes nothing and earns the
same receipt. A publisher asks only about applications it submitted: any other is refused as
unknown, and it learns nothing about it; nor does a refused challenge tell it whether an
e-mail reviews the application (`domain/challenges.not_challengeable`). The rules are those of
the staff's door (`appeals`, `challenges`), an appeal's window judged at the record's arrival."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from aihub_applications.adapters import appeals as appeals_db
from aihub_applications.domain.appeals import CodedRefusal
from aihub_applications.domain.application import Application
from aihub_applications.domain.challenges import REVEALS_THE_PANEL, not_challengeable
from aihub_applications.service_layer import appeals, challenges
from aihub_applications.service_layer.events import new_event
from aihub_applications.service_layer.loaders import load
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.intake import (
    AppealRequested,
    ChallengeRequested,
    Refusal,
    SelectionRequest,
    SelectionRequestReceipt,
)
from aihub_shared.refusals import NotFound, Refused
from aihub_shared.runtime import outbox
from aihub_shared.runtime.db import DbConnection
from aihub_shared.runtime.record_context import arrival_time

Kind = Literal["appeal", "challenge"]
R = TypeVar("R", bound=SelectionRequest)
#: Files the request for the application; returns the receipt's id field and value.
Act = Callable[[DbConnection, CloudEvent, Application, R], Awaitable[dict[str, str]]]


async def receive_appeal(conn: DbConnection, event: CloudEvent, request: AppealRequested) -> None:
    await _take(conn, event, request, "appeal", _appeal)


async def receive_challenge(
    conn: DbConnection, event: CloudEvent, request: ChallengeRequested
) -> None:
    await _take(conn, event, request, "challenge", _challenge)


async def _appeal(
    conn: DbConnection, event: CloudEvent, application: Application, request: AppealRequested
) -> dict[str, str]:
    origin = appeals.Origin(_actor(event), arrival_time(), caused_by=event)
    view = await appeals.file_for(
        conn, application, request.reason, disclose=request.disclose, origin=origin
    )
    return {"appeal_id": str(view.appeal_id)}


async def _challenge(
    conn: DbConnection, event: CloudEvent, application: Application, request: ChallengeRequested
) -> dict[str, str]:
    try:
        answer = await challenges.file_for(
            conn,
            application,
            request.stage_code,
            str(request.reviewer_id),
            request.reason,
            _actor(event),
            event.correlationid or event.id,
        )
    except Refused as refused:
        if refused.code in REVEALS_THE_PANEL:
            raise not_challengeable(request.stage_code) from None
        raise
    return {"challenge_id": str(answer.challenge_id)}


def _actor(event: CloudEvent) -> str:
    return f"intake:{event.source}"


async def _take(conn: DbConnection, event: CloudEvent, request: R, kind: Kind, act: Act[R]) -> None:
    await appeals_db.lock_request(conn, event.source, request.request_id)
    stored = await appeals_db.stored_receipt(conn, event.source, request.request_id)
    if stored is not None:
        receipt = SelectionRequestReceipt.model_validate(stored)
    else:
        receipt = await _decide(conn, event, request, kind, act)
        await appeals_db.store_receipt(
            conn, event.source, request.request_id, kind, receipt.model_dump(mode="json")
        )
    answer = new_event(
        "selection_request.receipt", subject=request.request_id, data=receipt, caused_by=event
    )
    await outbox.add_events(conn, [answer])


async def _decide(
    conn: DbConnection, event: CloudEvent, request: R, kind: Kind, act: Act[R]
) -> SelectionRequestReceipt:
    common = {"request_id": request.request_id, "submitted_by": event.source, "kind": kind}
    try:
        # A savepoint: a refusal met half-way undoes what was done before it.
        async with conn.transaction():
            application = await _own_application(conn, event.source, request.application_id)
            ids = await act(conn, event, application, request)
    except Refused as refused:
        reason = Refusal(code=_code(refused), message=_message(refused)[:500])
        return SelectionRequestReceipt(**common, outcome="refused", reasons=[reason])
    return SelectionRequestReceipt(**common, outcome="accepted", **ids)


async def _own_application(conn: DbConnection, source: str, application_id: str) -> Application:
    try:
        parsed = uuid.UUID(application_id)
    except ValueError:
        parsed = None
    if parsed is None or await appeals_db.submitted_by(conn, parsed) != source:
        raise CodedRefusal(
            "unknown_application",
            f"no application {application_id} submitted by {source}",
            f"{source}에서 제출한 신청 {application_id}이(가) 없습니다.",
        )
    return await load(conn, parsed)


def _message(refused: Refused) -> str:
    if isinstance(refused, CodedRefusal):
        return refused.both_languages
    return str(refused)


def _code(refused: Refused) -> str:
    """The machine-readable reason: the rule's own code where it has one (any coded refusal,
    `aihub_shared.refusals`)."""
    if refused.code:
        return refused.code
    return "not_found" if isinstance(refused, NotFound) else "refused"
