"""One realistic example per event, exported to docs/ so a publisher can copy a message.

The examples are built from the contract models, so an example that drifts from its contract
fails at import time, not in a publisher's integration.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from pydantic import BaseModel

from aihub_shared.contracts.applications import (
    ApplicationAdvanced,
    ApplicationAppeal,
    ApplicationDecided,
    ApplicationIneligible,
    ApplicationReceived,
    ApplicationWithdrawn,
    BonusPointsChanged,
    CriterionDisclosure,
    ReviewAssigned,
    ReviewChallenge,
    ReviewConflictDeclared,
    ReviewerRef,
    ReviewPledged,
    ReviewSubmitted,
    StageDisclosure,
)
from aihub_shared.contracts.envelope import CloudEvent
from aihub_shared.contracts.intake import (
    AppealRequested,
    ApplicationSubmitted,
    ChallengeRequested,
    IntakeReceipt,
    Refusal,
    SelectionRequestReceipt,
)
from aihub_shared.contracts.notifications import EmailDelivered, EmailFailed, ReminderSent
from aihub_shared.contracts.privacy import (
    ConsentTextRef,
    ErasureReceipt,
    PersonErased,
    PersonErasureRequested,
)
from aihub_shared.contracts.programs import (
    BonusItem,
    CohortFilled,
    CohortPublished,
    CohortQuestion,
    EnrollmentChanged,
    KpiReceipt,
    StartupKpiReported,
    default_review_stages,
)
from aihub_shared.contracts.registry import EventContract
from aihub_shared.contracts.values import Contact

_DOCUMENT_REVIEW, _PRESENTATION_REVIEW = default_review_stages()
_APPLICATION_ID = "0b8f5a52-3c1e-4e0b-9a57-6f1d2a7c9e01"
_PROGRAM = "cyber-valley-batch"
_COHORT = "cyber-valley-2027-1"
_STARTUP = "딥러닝랩 주식회사"
_BRN = "2208162517"
_APPLICANT = Contact(name="김하늘", email="sky@deeplearninglab.example", locale="ko")
_ENROLLMENT = {
    "enrollment_id": "7d3e9c10-8a4b-4f7e-b2c1-0e5f6a7b8c90",
    "application_id": _APPLICATION_ID,
    "program_code": _PROGRAM,
    "cohort_code": _COHORT,
    "startup_name": _STARTUP,
    "seats": 10,
}
_APPEAL_ID = "3e5a7c9b-2d4f-4a6b-8c0d-1e2f3a4b5c6d"
_APPEAL = {
    "appeal_id": _APPEAL_ID,
    "application_id": _APPLICATION_ID,
    "program_code": _PROGRAM,
    "cohort_code": _COHORT,
    "startup_name": _STARTUP,
    "stage_code": "presentation-review",
    "status": "open",
    "reason": "발표평가 점수 산정에 오류가 있는지 확인을 요청합니다.",
    "filed_by": "intake:/partners/recruit-portal",
    "disclosure_requested": True,
}
_DECIDED = {
    "application_id": _APPLICATION_ID,
    "program_code": _PROGRAM,
    "cohort_code": _COHORT,
    "startup_name": _STARTUP,
    "business_registration_number": _BRN,
    "decided_by": "pm@seoulaihub.example",
}

EXAMPLE_DATA: dict[str, BaseModel] = {
    "application.submitted": ApplicationSubmitted.model_validate(
        {
            "submission_id": "recruit-2027-000123",
            "program_code": _PROGRAM,
            "cohort_code": _COHORT,
            "startup": {
                "name": _STARTUP,
                "business_registration_number": _BRN,
                "founded_on": "2022-03-01",
                "employees": 12,
                "website": "https://deeplearninglab.example",
                "ai_field": "컴퓨터 비전",
                "description": "제조 현장의 불량을 실시간으로 찾는 비전 AI",
            },
            "contact": _APPLICANT.model_dump(),
            "answers": {
                "product": "공정 카메라 영상으로 불량을 0.1초 안에 판정합니다.",
                "why-cyber-valley": "튀빙겐의 로보틱스 연구진과 공동 실증을 원합니다.",
            },
            "consent_personal_info": True,
            "consent": {
                "text_id": "aihub-application-privacy",
                "text_version": 3,
                "locale": "ko",
                "agreed_at": "2027-01-19T23:58:12+09:00",
                "optional": {"marketing_mail": False, "partner_sharing": True},
            },
        }
    ),
    "intake.receipt": IntakeReceipt(
        submission_id="recruit-2027-000123",
        submitted_by="/partners/recruit-portal",
        outcome="refused",
        reasons=[
            Refusal(code="application_window_closed", message="접수 기간이 지났습니다."),
        ],
    ),
    "application.received": ApplicationReceived(
        application_id=_APPLICATION_ID,
        submission_id="recruit-2027-000123",
        submitted_by="/partners/recruit-portal",
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        contact=_APPLICANT,
    ),
    "application.ineligible": ApplicationIneligible(
        application_id=_APPLICATION_ID,
        submission_id="recruit-2027-000123",
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        contact=_APPLICANT,
        reasons=[
            Refusal(code="startup_too_old", message="창업 7년 이내 기업만 지원할 수 있습니다.")
        ],
    ),
    "application.accepted": ApplicationDecided.model_validate(
        {**_DECIDED, "reason": "최종 순위 3위로 선정", "rank": 3, "final_score": 87.5}
    ),
    "application.rejected": ApplicationDecided.model_validate(
        {**_DECIDED, "reason": "발표평가 기준 점수 미달"}
    ),
    "application.withdrawn": ApplicationWithdrawn(
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        withdrawn_by="sky@deeplearninglab.example",
        reason="해외 법인 설립 일정과 겹쳐 참여가 어렵습니다.",
    ),
    "application.advanced": ApplicationAdvanced(
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        from_stage="document-review",
        to_stage="presentation-review",
        stage_score=82.0,
    ),
    "review.assigned": ReviewAssigned(
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        stage_code="document-review",
        reviewer=ReviewerRef(id="reviewer.park@seoulaihub.example", name="박심사"),
    ),
    "review.submitted": ReviewSubmitted(
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        stage_code="document-review",
        reviewer=ReviewerRef(id="reviewer.park@seoulaihub.example", name="박심사"),
        submitted_at=datetime(2027, 2, 12, 6, 30, tzinfo=UTC),
    ),
    "review.conflict_declared": ReviewConflictDeclared(
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        stage_code="document-review",
        reviewer=ReviewerRef(id="reviewer.park@seoulaihub.example", name="박심사"),
        declared_at=datetime(2027, 2, 11, 2, 0, tzinfo=UTC),
    ),
    "review.pledged": ReviewPledged(
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        stage_code="document-review",
        reviewer=ReviewerRef(id="reviewer.park@seoulaihub.example", name="박심사"),
        pledge_version="2026-1",
        accepted_at=datetime(2027, 2, 10, 0, 15, tzinfo=UTC),
    ),
    "review.challenged": ReviewChallenge(
        challenge_id="7d1c2e4a-9b3f-4c8e-a1d2-5e6f7a8b9c0d",
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        stage_code="presentation-review",
        reviewer=ReviewerRef(id="reviewer.park@seoulaihub.example", name="박심사"),
        status="open",
        reason="심사위원이 경쟁사의 자문위원으로 활동 중입니다.",
        filed_by="pm@seoulaihub.example",
    ),
    "review.challenge_decided": ReviewChallenge(
        challenge_id="7d1c2e4a-9b3f-4c8e-a1d2-5e6f7a8b9c0d",
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        stage_code="presentation-review",
        reviewer=ReviewerRef(id="reviewer.park@seoulaihub.example", name="박심사"),
        status="upheld",
        reason="심사위원이 경쟁사의 자문위원으로 활동 중입니다.",
        filed_by="pm@seoulaihub.example",
        decision_reason="자문 계약 확인: 이해관계 인정, 평가위원 교체",
        decided_by="pm@seoulaihub.example",
    ),
    "bonus_points.granted": BonusPointsChanged(
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        item_code="youth-founder",
        points=1.0,
        total=1.5,
        reason="대표자 생년월일 확인: 만 34세 (청년 창업자)",
        changed_by="pm@seoulaihub.example",
    ),
    "bonus_points.revoked": BonusPointsChanged(
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        startup_name=_STARTUP,
        item_code="seoul-based",
        points=0.5,
        total=1.0,
        reason="본점 소재지가 경기도로 확인되어 서울 소재 가점을 취소합니다.",
        changed_by="pm@seoulaihub.example",
    ),
    "cohort.published": CohortPublished(
        program_code=_PROGRAM,
        program_name_ko="사이버밸리 배치 프로그램",
        program_name_en="Cyber Valley batch program",
        partner="Cyber Valley",
        cohort_code=_COHORT,
        seats=10,
        application_opens_at=datetime(2027, 1, 4, 0, 0, tzinfo=UTC),
        application_closes_at=datetime(2027, 2, 5, 8, 59, 59, tzinfo=UTC),
        starts_on=date(2027, 4, 1),
        ends_on=date(2027, 9, 30),
        max_startup_age_years=7,
        consent_text=ConsentTextRef(id="aihub-application-privacy", version=3),
        program_managers=[
            Contact(name="이매니저", email="pm@seoulaihub.example", locale="ko"),
        ],
        questions=[
            CohortQuestion(
                key="product", label_ko="제품 소개", label_en="Your product", required=True
            ),
            CohortQuestion(
                key="why-cyber-valley",
                label_ko="사이버밸리 지원 동기",
                label_en="Why Cyber Valley",
                required=False,
            ),
        ],
        # Selection rules: 최고·최저점 제외 from 5 reviews and calibration in the document
        # review, 과락 60 in both stages; 가점 capped at 2 points.
        review_stages=[
            _DOCUMENT_REVIEW.model_copy(
                update={"trim_extremes_from": 5, "calibration": "z-score", "cutoff_score": 60.0}
            ),
            _PRESENTATION_REVIEW.model_copy(update={"cutoff_score": 60.0}),
        ],
        bonus_items=[
            BonusItem(
                code="youth-founder", name_ko="청년 창업자", name_en="Young founder", points=1
            ),
            BonusItem(code="women-owned", name_ko="여성 기업", name_en="Women-owned", points=1),
            BonusItem(
                code="seoul-based", name_ko="서울 소재", name_en="Based in Seoul", points=0.5
            ),
        ],
        bonus_cap=2.0,
    ),
    "enrollment.confirmed": EnrollmentChanged.model_validate(
        {
            **_ENROLLMENT,
            "status": "confirmed",
            "rank": 3,
            "seats_taken": 8,
            "agreement_due_at": "2027-03-15T14:59:59Z",
        }
    ),
    "enrollment.waitlisted": EnrollmentChanged.model_validate(
        {
            **_ENROLLMENT,
            "status": "waitlisted",
            "rank": 12,
            "waitlist_position": 2,
            "seats_taken": 10,
        }
    ),
    "enrollment.promoted": EnrollmentChanged.model_validate(
        {
            **_ENROLLMENT,
            "status": "confirmed",
            "rank": 11,
            "seats_taken": 10,
            "agreement_due_at": "2027-03-29T14:59:59Z",
            "reason": "A seat was freed by a withdrawal.",
        }
    ),
    "enrollment.agreement_signed": EnrollmentChanged.model_validate(
        {
            **_ENROLLMENT,
            "status": "confirmed",
            "rank": 3,
            "seats_taken": 10,
            "agreement_signed_at": "2027-03-10T02:00:00Z",
        }
    ),
    "enrollment.cancelled": EnrollmentChanged.model_validate(
        {
            **_ENROLLMENT,
            "status": "cancelled",
            "rank": 3,
            "seats_taken": 9,
            "reason": "The agreement was not signed by its deadline.",
            "cause": "agreement_deadline_passed",
        }
    ),
    "cohort.filled": CohortFilled(
        program_code=_PROGRAM, cohort_code=_COHORT, seats=10, seats_taken=10, waitlisted=4
    ),
    "startup.kpi_reported": StartupKpiReported(
        report_id="kpi-2027-Q2-000123",
        business_registration_number=_BRN,
        cohort_code=_COHORT,
        quarter="2027-Q2",
        revenue_krw=350_000_000,
        investment_raised_krw=2_000_000_000,
        headcount=18,
    ),
    "kpi.receipt": KpiReceipt(
        report_id="kpi-2027-Q2-000123",
        submitted_by="/partners/kpi-portal",
        outcome="accepted",
    ),
    "email.sent": EmailDelivered(
        delivery_id="5f0c2b9e-1d4a-4c3b-8e7f-9a0b1c2d3e4f",
        caused_by_event_id="1c9e7d52-6b0a-4f3e-a1d2-3b4c5d6e7f80",
        template="enrollment_confirmed",
        recipient_masked="s***@deeplearninglab.example",
        message_id="<5f0c2b9e1d4a4c3b8e7f9a0b1c2d3e4f@seoulaihub.kr>",
    ),
    "email.failed": EmailFailed(
        delivery_id="5f0c2b9e-1d4a-4c3b-8e7f-9a0b1c2d3e4f",
        caused_by_event_id="1c9e7d52-6b0a-4f3e-a1d2-3b4c5d6e7f80",
        template="enrollment_confirmed",
        recipient_masked="s***@deeplearninglab.example",
        reason="550 5.1.1 mailbox unavailable",
        attempts=1,
    ),
    "reminder.sent": ReminderSent(
        delivery_id="0b6f3c1e-7a2d-5e4f-9c8b-1a2b3c4d5e6f",
        application_id=_APPLICATION_ID,
        program_code=_PROGRAM,
        cohort_code=_COHORT,
        stage_code="document-review",
        reviewer=ReviewerRef(id="reviewer.park@seoulaihub.example", name="박심사"),
        due_at=datetime(2027, 2, 15, 9, 0, tzinfo=UTC),
        offset_hours=24,
    ),
    "person.erasure_requested": PersonErasureRequested(
        request_id="erase-2027-000042",
        email="sky@deeplearninglab.example",
        application_ids=[_APPLICATION_ID],
    ),
    "person.erased": PersonErased(
        request_id="erase-2027-000042",
        requested_by="/partners/recruit-portal",
        service="applications",
        application_ids=[_APPLICATION_ID],
        email_sha256="a123506d44cc097a2f188f1aa9602d58bab5f4a36475f76cb0f129b663fa10c6",
        erased={"applications": 1, "history_entries": 6, "review_comments": 2},
        held=["consent record (text id, version, time)", "scores and rank, without names"],
    ),
    "erasure.receipt": ErasureReceipt(
        request_id="erase-2027-000042",
        submitted_by="/partners/recruit-portal",
        outcome="erased",
        services=["applications", "programs", "notifications"],
        applications=1,
        completed_at=datetime(2027, 1, 20, 1, 31, 5, tzinfo=UTC),
    ),
    "appeal.requested": AppealRequested(
        request_id="appeal-2027-000007",
        application_id=_APPLICATION_ID,
        reason="발표평가 점수 산정에 오류가 있는지 확인을 요청합니다.",
        disclose=True,
    ),
    "challenge.requested": ChallengeRequested(
        request_id="challenge-2027-000003",
        application_id=_APPLICATION_ID,
        stage_code="presentation-review",
        reviewer_id="reviewer.park@seoulaihub.example",
        reason="심사위원이 경쟁사의 자문위원으로 활동 중입니다.",
    ),
    "selection_request.receipt": SelectionRequestReceipt(
        request_id="appeal-2027-000007",
        submitted_by="/partners/recruit-portal",
        kind="appeal",
        outcome="accepted",
        appeal_id=_APPEAL_ID,
    ),
    "appeal.filed": ApplicationAppeal(**_APPEAL),
    "appeal.decided": ApplicationAppeal(
        **{
            **_APPEAL,
            "status": "upheld",
            "decision_reason": "발표평가 점수 합산 오류 확인: 재심사 대상으로 복귀",
            "decided_by": "pm@seoulaihub.example",
            "reinstated_to_stage": "presentation-review",
            "disclosure": StageDisclosure(
                stage_code="presentation-review",
                level="score_and_criteria",
                stage_score=58.5,
                cutoff_score=60,
                criteria=[
                    CriterionDisclosure(
                        code="business-plan",
                        name_ko="사업계획",
                        name_en="Business plan",
                        average=61.0,
                    ),
                    CriterionDisclosure(
                        code="hub-fit",
                        name_ko="허브 적합성",
                        name_en="Fit with the hub",
                        average=56.0,
                        cutoff=40,
                    ),
                ],
            ),
        }
    ),
}

# Inbound events come from partner systems; the rest from the service that owns the topic.
_SOURCES = {
    "application.submitted": "/partners/recruit-portal",
    "person.erasure_requested": "/partners/recruit-portal",
    "appeal.requested": "/partners/recruit-portal",
    "challenge.requested": "/partners/recruit-portal",
    "selection_request.receipt": "/services/applications",
    "erasure.receipt": "/services/applications",
    "person.erased": "/services/applications",
    "startup.kpi_reported": "/partners/kpi-portal",
    "intake.receipt": "/services/applications",
    "kpi.receipt": "/services/programs",
}
_SUBJECTS = {
    "application.submitted": "recruit-2027-000123",
    "intake.receipt": "recruit-2027-000123",
    "cohort.published": _COHORT,
    "cohort.filled": _COHORT,
    # Lifecycle and enrollment events are keyed by cohort: one cohort's history stays in order.
    **{
        name: _COHORT
        for name in EXAMPLE_DATA
        if name.startswith(
            (
                "enrollment.",
                "application.",
                "review.",
                "bonus_points.",
                "appeal.filed",
                "appeal.dec",
            )
        )
        and name != "application.submitted"
    },
    "appeal.requested": "appeal-2027-000007",
    "selection_request.receipt": "appeal-2027-000007",
    "challenge.requested": "challenge-2027-000003",
    "startup.kpi_reported": "kpi-2027-Q2-000123",
    "kpi.receipt": "kpi-2027-Q2-000123",
    "email.sent": "5f0c2b9e-1d4a-4c3b-8e7f-9a0b1c2d3e4f",
    "email.failed": "5f0c2b9e-1d4a-4c3b-8e7f-9a0b1c2d3e4f",
    "reminder.sent": "0b6f3c1e-7a2d-5e4f-9c8b-1a2b3c4d5e6f",
    **dict.fromkeys(
        ("person.erasure_requested", "person.erased", "erasure.receipt"), "erase-2027-000042"
    ),
}


def example_event(contract: EventContract) -> CloudEvent:
    """A complete message as it travels on the topic (fixed ids and time, for stable docs)."""
    source = _SOURCES.get(contract.name, f"/services/{contract.topic.split('.')[0]}")
    return CloudEvent(
        specversion="1.0",
        # Derived from the type, so the published examples stay put whatever the registry order.
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:kr.seoul.aihub:example:{contract.type}")),
        source=source,
        type=contract.type,
        time=datetime(2027, 1, 20, 1, 30, tzinfo=UTC),
        subject=_SUBJECTS.get(contract.name, _APPLICATION_ID),
        correlationid="00000000-0000-4000-8000-00000000c0de",
        data=EXAMPLE_DATA[contract.name].model_dump(mode="json", exclude_none=True),
    )
