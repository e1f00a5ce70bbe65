"""The services' reasons in the reader's language.

A refusal names its reason by a stable code with values (`aihub_shared.refusals`: `code` and
`params`; a 422 problem: pydantic's or the service's `type` and `ctx`). A code listed here is
said with this catalog's words; any other reason is shown as the service said it, in English,
with a note on a Korean page that these are the service's words. The English text stays the
reason of record (logs, API clients).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

from starlette.requests import Request

from aihub_console.domain.refusals import Say
from aihub_console.entrypoints.i18n import N_, language_of, number, seoul_time, translations

#: Problems pydantic names itself (FastAPI's 422s), with their `ctx` values.
_FIELD_PROBLEMS = {
    "missing": N_("Required."),
    "int_parsing": N_("Give a whole number."),
    "int_type": N_("Give a whole number."),
    "int_from_float": N_("Give a whole number."),
    "float_parsing": N_("Give a number."),
    "float_type": N_("Give a number."),
    "bool_parsing": N_("Give yes or no."),
    "greater_than_equal": N_("Must be at least %(ge)s."),
    "less_than_equal": N_("Must be at most %(le)s."),
    "greater_than": N_("Must be more than %(gt)s."),
    "less_than": N_("Must be less than %(lt)s."),
    "string_too_short": N_("Too short: at least %(min_length)s characters."),
    "string_too_long": N_("Too long: at most %(max_length)s characters."),
    "too_short": N_("Give at least %(min_length)s."),
    "too_long": N_("Give at most %(max_length)s."),
    "string_pattern_mismatch": N_("Not in the expected form."),
    "literal_error": N_("Choose one of: %(expected)s."),
    "enum": N_("Choose one of: %(expected)s."),
    "datetime_parsing": N_("Give a date and time."),
    "datetime_from_date_parsing": N_("Give a date and time."),
    "date_parsing": N_("Give a date."),
    "date_from_datetime_parsing": N_("Give a date."),
}

#: The services' own codes (`aihub_shared.refusals`), with their `params`.
_SERVICE_REASONS = {
    # programs: the catalog
    "stage_weights_sum": N_("The stage weights must add up to 100."),
    "stage_codes_unique": N_("Each stage needs its own code."),
    "criterion_codes_unique": N_("Each criterion of a stage needs its own code."),
    "question_keys_unique": N_("Each question needs its own key."),
    "bonus_codes_unique": N_("Each bonus item needs its own code."),
    "stages_fixed": N_(
        "Fixed since the application window opened (%(opened_at)s): the stages, their order"
        " and weights stay %(stages)s."
    ),
    "criteria_fixed": N_(
        "Fixed since the application window opened (%(opened_at)s): this stage's criteria and"
        " their weights stay %(criteria)s."
    ),
    "not_your_program": N_("You do not manage the program %(program)s."),
    # applications: reviews and selection
    "not_in_review": N_("The application is not in review."),
    "wrong_stage": N_("The application is in stage %(current)s of %(count)s, not this one."),
    "conflict_declared": N_("You declared a conflict of interest with this application."),
    "not_your_review": N_("You are not a reviewer of this application in this stage."),
    "unknown_criterion": N_("The stage has no such criterion."),
    "score_required": N_("A score for this criterion is required."),
    "score_range": N_("A score is a whole number from 0 to 100."),
    "too_few_reviews": N_(
        "%(count)s application(s) in this stage have fewer than %(min)s scored reviews."
    ),
    "last_stage": N_("This is the last stage: select the cohort instead."),
    "none_in_stage": N_("No application of the cohort is in this stage."),
    "earlier_stage_pending": N_(
        "%(count)s application(s) are still in an earlier stage: advance it first."
    ),
    "none_in_review": N_("No application of the cohort is in review."),
    # applications: appeals (이의제기)
    "not_rejected": N_("Only a rejected application can be appealed."),
    "appeals_not_offered": N_("This stage takes no appeals."),
    "appeal_window_closed": N_("The appeal window closed at %(closed_at)s."),
    "already_appealed": N_("This decision was already appealed."),
    # applications: challenges (기피 신청)
    "reviewer_not_assigned": N_("%(reviewer)s is not a reviewer of this application in %(stage)s."),
    "challenge_already_open": N_("A challenge of %(reviewer)s in %(stage)s is already open."),
}

REASONS: Mapping[str, str] = {**_FIELD_PROBLEMS, **_SERVICE_REASONS}


def speaker(request: Request) -> Say:
    """How this request's page says a service's reason."""
    language = language_of(request)
    catalog = translations(language)

    def say(code: str | None, params: Mapping[str, Any], english: str) -> str:
        msgid = REASONS.get(code or "")
        if msgid is not None:
            try:
                return catalog.gettext(msgid) % _shown(params, language)
            except (KeyError, TypeError, ValueError):
                pass  # values missing or of another shape: the service's words below
        if language == "en":
            return english
        return catalog.gettext("%(reason)s (in the service's words)") % {"reason": english}

    return say


def _shown(params: Mapping[str, Any], language: str) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key.endswith("_at") and isinstance(value, str):
            with suppress(ValueError):  # not a moment after all: shown as it came
                value = seoul_time(datetime.fromisoformat(value), language)
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = number(value, language)
        shown[key] = value
    return shown
