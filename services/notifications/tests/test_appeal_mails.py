"""The applicant's mail on an appeal's outcome (`appeal.decided`), pure: only the applicant is
written to, in their language; the figures appear only when asked for and disclosed; nobody is
written to about an application this service has no applicant for."""

from __future__ import annotations

from aihub_notifications.adapters.templates import MailRenderer
from aihub_notifications.domain.appeal_mails import APPEAL_DECIDED_APPLICANT, appeal_decided
from aihub_notifications.domain.replicas import ApplicantReplica, CohortReplica
from aihub_shared.contracts.applications import (
    ApplicationAppeal,
    ApplicationReceived,
    StageDisclosure,
)
from aihub_shared.contracts.examples import EXAMPLE_DATA
from aihub_shared.contracts.programs import CohortPublished
from aihub_shared.contracts.values import Contact

RENDERER = MailRenderer()


def _upheld() -> ApplicationAppeal:
    found = EXAMPLE_DATA["appeal.decided"]
    assert isinstance(found, ApplicationAppeal)
    return found


def _cohort() -> CohortReplica:
    found = EXAMPLE_DATA["cohort.published"]
    assert isinstance(found, CohortPublished)
    return CohortReplica.of(found)


UPHELD = _upheld()
COHORT = _cohort()


def applicant(locale: str) -> ApplicantReplica:
    received = EXAMPLE_DATA["application.received"]
    assert isinstance(received, ApplicationReceived)
    contact = Contact.model_validate(
        {"name": "Jane Park", "email": "jane@startup.example", "locale": locale}
    )
    return ApplicantReplica.of(received.model_copy(update={"contact": contact}))


def test_an_upheld_appeal_tells_the_applicant_where_they_are_and_the_figures_asked_for() -> None:
    (request,) = appeal_decided(UPHELD, COHORT, applicant("en"))
    assert (request.template, str(request.recipient.email)) == (
        APPEAL_DECIDED_APPLICANT,
        "jane@startup.example",
    )
    mail = RENDERER.render(APPEAL_DECIDED_APPLICANT, "en", request.context)
    assert "upheld" in mail.subject
    assert "back in review, in Presentation review" in mail.text
    assert "Stage score: 58.50 (cut-off 60)" in mail.text
    assert "Fit with the hub: average 56.00 (cut-off 40)" in mail.text


def test_a_dismissed_appeal_without_disclosure_shows_no_figures() -> None:
    dismissed = UPHELD.model_copy(
        update={
            "status": "dismissed",
            "reinstated_to_stage": None,
            "disclosure_requested": False,
            "disclosure": None,
        }
    )
    (request,) = appeal_decided(dismissed, COHORT, applicant("ko"))
    mail = RENDERER.render(APPEAL_DECIDED_APPLICANT, "ko", request.context)
    assert "기각" in mail.subject
    assert "결과는 그대로 유지됩니다" in mail.text
    assert "단계 점수" not in mail.text
    assert "공개하지 않습니다" not in mail.text


def test_asked_for_figures_a_cohort_does_not_disclose_are_said_to_be_undisclosed() -> None:
    undisclosed = UPHELD.model_copy(
        update={"disclosure": StageDisclosure(stage_code="presentation-review", level="none")}
    )
    (request,) = appeal_decided(undisclosed, COHORT, applicant("en"))
    mail = RENDERER.render(APPEAL_DECIDED_APPLICANT, "en", request.context)
    assert "Stage score" not in mail.text
    assert "does not disclose scores for Presentation review" in mail.text


def test_nobody_is_written_to_without_an_applicant() -> None:
    assert appeal_decided(UPHELD, COHORT, None) == []
