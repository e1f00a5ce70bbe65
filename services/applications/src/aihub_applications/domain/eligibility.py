"""Eligibility of a submission for a cohort, with reasons in the applicant's language."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aihub_shared.contracts.intake import ApplicationSubmitted, Refusal
from aihub_shared.contracts.privacy import ConsentTextRef
from aihub_shared.contracts.programs import CohortQuestion
from aihub_shared.contracts.values import Locale, is_valid_business_registration_number

SEOUL = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True)
class CohortRules:
    cohort_code: str
    program_code: str
    application_opens_at: datetime
    application_closes_at: datetime
    max_startup_age_years: int | None
    questions: tuple[CohortQuestion, ...] = ()
    #: The consent text a submission must have agreed to; None: the boolean suffices.
    consent_text: ConsentTextRef | None = None


_MESSAGES: dict[str, dict[Locale, str]] = {
    "unknown_cohort": {
        "ko": "모집 중인 기수를 찾을 수 없습니다: {cohort}",
        "en": "No open recruitment was found for cohort {cohort}.",
    },
    "program_mismatch": {
        "ko": "기수 {cohort}은(는) {program} 프로그램의 기수가 아닙니다.",
        "en": "Cohort {cohort} does not belong to program {program}.",
    },
    "window_not_open": {
        "ko": "접수 기간이 아닙니다. 접수 시작: {opens} (KST)",
        "en": "Applications are not open yet. They open at {opens} (KST).",
    },
    "window_closed": {
        "ko": "접수가 마감되었습니다. 마감: {closes} (KST)",
        "en": "Applications closed at {closes} (KST).",
    },
    "startup_too_old": {
        "ko": "창업 {max_age}년 이내 기업만 신청할 수 있습니다 (설립일 {founded}).",
        "en": "Only startups founded within {max_age} years may apply (founded {founded}).",
    },
    "founded_in_future": {
        "ko": "설립일 {founded}이(가) 접수일 {today}보다 늦습니다. 설립일을 확인해 주세요.",
        "en": "The founding date {founded} is after the day of application {today};"
        " please check it.",
    },
    "answer_missing": {
        "ko": "필수 질문에 답해야 합니다: {label} ({key})",
        "en": "The required question must be answered: {label} ({key})",
    },
    "invalid_business_registration_number": {
        "ko": "사업자등록번호 {number}이(가) 올바르지 않습니다 (마지막 검증번호가 맞지 않습니다)."
        " 사업자등록증의 번호를 확인해 주세요.",
        "en": "The business registration number {number} is not valid (its check digit does not"
        " match); please check it against the registration certificate.",
    },
    "consent_missing": {
        "ko": "개인정보 수집·이용에 동의해야 신청할 수 있습니다.",
        "en": "Consent to the collection and use of personal information is required.",
    },
    "consent_text_missing": {
        "ko": "이 기수는 개인정보 수집·이용 동의서 {text} (버전 {version})에 대한"
        " 동의 기록이 필요합니다.",
        "en": "This cohort requires a record of consent to the privacy notice {text}"
        " (version {version}).",
    },
    "consent_text_mismatch": {
        "ko": "동의한 동의서 {agreed}은(는) 이 기수가 요구하는 {text} (버전 {version})와 다릅니다."
        " 최신 동의서에 다시 동의해 주세요.",
        "en": "The consent given was to {agreed}, not to the notice this cohort requires,"
        " {text} (version {version}); please agree to the current notice.",
    },
    "conflicting_resubmission": {
        "ko": "제출 번호 {submission}은(는) 이미 다른 내용으로 접수되었습니다 (신청 번호 {first})."
        " 새 제출 번호를 사용하세요.",
        "en": "Submission {submission} was already received with different content as"
        " application {first}; use a new submission_id.",
    },
    "duplicate_business_registration": {
        "ko": "같은 사업자등록번호로 이 기수에 이미 신청했습니다 (신청 번호 {first}).",
        "en": "This business registration number already applied to this cohort"
        " (application {first}).",
    },
}


def refusal(code: str, locale: Locale, **values: object) -> Refusal:
    return Refusal(code=code, message=_MESSAGES[code][locale].format(**values))


#: Letters that render as nothing: Hangul fillers (a favourite "blank" on Korean forms) and the
#: blank braille pattern. With spaces, controls and format characters (zero-width space, BOM),
#: an answer made only of them is no answer.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_answered(answer: str) -> bool:
    return any(
        unicodedata.category(ch)[0] not in ("Z", "C") and ch not in _BLANK_LETTERS for ch in answer
    )


def _kst(moment: datetime) -> str:
    return moment.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M:%S")


def full_years_between(start: date, end: date) -> int:
    years = end.year - start.year
    return years - 1 if (end.month, end.day) < (start.month, start.day) else years


def check_eligibility(
    submission: ApplicationSubmitted,
    cohort: CohortRules | None,
    *,
    now: datetime,
    first_application_id: str | None,
) -> list[Refusal]:
    """Every reason the submission is not eligible; an empty list means eligible.

    `now` is compared to the window to the second (a submission that reached us within the
    closing second is on time); the startup's age is counted in Seoul days.
    """
    locale = submission.contact.locale
    reasons: list[Refusal] = []
    brn = submission.startup.business_registration_number
    brn_refusals = (
        []
        if is_valid_business_registration_number(brn)
        else [refusal("invalid_business_registration_number", locale, number=brn)]
    )
    if cohort is None:
        return [refusal("unknown_cohort", locale, cohort=submission.cohort_code), *brn_refusals]
    reasons += brn_refusals
    if cohort.program_code != submission.program_code:
        reasons.append(
            refusal(
                "program_mismatch",
                locale,
                cohort=cohort.cohort_code,
                program=submission.program_code,
            )
        )
    reasons += _timing_refusals(submission, cohort, now)
    for question in cohort.questions:
        if question.required and not is_answered(submission.answers.get(question.key, "")):
            label = question.label_ko if locale == "ko" else question.label_en
            reasons.append(refusal("answer_missing", locale, label=label, key=question.key))
    if not submission.consent_personal_info:
        reasons.append(refusal("consent_missing", locale))
    reasons += consent_refusals(submission, cohort.consent_text)
    if first_application_id is not None:
        reasons.append(
            refusal("duplicate_business_registration", locale, first=first_application_id)
        )
    return reasons


def consent_refusals(
    submission: ApplicationSubmitted, required: ConsentTextRef | None
) -> list[Refusal]:
    """A cohort that names a consent text takes only a submission agreeing to that version."""
    if required is None:
        return []
    locale = submission.contact.locale
    named = {"text": required.id, "version": required.version}
    if submission.consent is None:
        return [refusal("consent_text_missing", locale, **named)]
    if submission.consent.text != required:
        agreed = f"{submission.consent.text_id} v{submission.consent.text_version}"
        return [refusal("consent_text_mismatch", locale, agreed=agreed, **named)]
    return []


def _timing_refusals(
    submission: ApplicationSubmitted, cohort: CohortRules, now: datetime
) -> list[Refusal]:
    """The application window, to the second, and the startup's age, in Seoul days."""
    locale = submission.contact.locale
    refusals: list[Refusal] = []
    now = now.replace(microsecond=0)
    if now < cohort.application_opens_at.replace(microsecond=0):
        refusals.append(refusal("window_not_open", locale, opens=_kst(cohort.application_opens_at)))
    elif now > cohort.application_closes_at.replace(microsecond=0):
        refusals.append(refusal("window_closed", locale, closes=_kst(cohort.application_closes_at)))
    today = now.astimezone(SEOUL).date()
    if submission.startup.founded_on > today:
        # Else a mistyped year (2062 for 2026) would pass any age limit as a newborn.
        refusals.append(
            refusal(
                "founded_in_future",
                locale,
                founded=submission.startup.founded_on.isoformat(),
                today=today.isoformat(),
            )
        )
    elif (
        cohort.max_startup_age_years is not None
        and full_years_between(submission.startup.founded_on, today) >= cohort.max_startup_age_years
    ):
        refusals.append(
            refusal(
                "startup_too_old",
                locale,
                max_age=cohort.max_startup_age_years,
                founded=submission.startup.founded_on.isoformat(),
            )
        )
    return refusals
