"""Value types shared by the contracts; they refuse hostile text at the door."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
)
from pydantic_core import PydanticCustomError

Locale = Literal["ko", "en"]

#: What a program, cohort or stage code looks like; also for path and query parameters, where a
#: value no code can have is a 422 (never a NUL that Postgres refuses, nor a needless query).
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"

Code = Annotated[
    str,
    Field(
        min_length=2,
        max_length=64,
        pattern=CODE_PATTERN,
        description="Lower-case slug such as `cyber-valley-2027-1`.",
    ),
]


# Searched by `re` rather than a loop over characters: every text field of every submission
# passes here (issue 16: a sixth of intake's time went to the loops).
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


def _storable(value: str) -> str:
    # Postgres text cannot hold NUL and UTF-8 cannot encode an unpaired surrogate: refused at the
    # door, such text would otherwise fail only when stored, far from the publisher.
    # The codes are the `code` of a refused receipt's reason (see contracts/violations.py).
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain NUL characters")
    if _SURROGATE.search(value):
        raise PydanticCustomError("unpaired_surrogate", "must not contain unpaired surrogates")
    return value


#: What the published JSON Schema says of the same rules, as a `pattern` (ECMA-262 with the `u`
#: flag, and Python's `re`, read `\uXXXX` alike): no NUL, no unpaired surrogate.
STORABLE_PATTERN = "^[^\\u0000\\ud800-\\udfff]*$"
_STORABLE_SCHEMA = {
    "pattern": STORABLE_PATTERN,
    "description": "Any text without NUL characters or unpaired surrogates.",
}

FreeText = Annotated[
    str,
    Field(max_length=5000, json_schema_extra=_STORABLE_SCHEMA),
    AfterValidator(_storable),
]
#: Why something was decided, withdrawn or cancelled. Nested, so its limit wins over FreeText's:
#: `reason: FreeText = Field(max_length=2000)` would silently keep 5000.
Reason = Annotated[FreeText, Field(max_length=2000)]


def _not_blank(value: str) -> str:
    # "Always with a recorded reason": white space alone records none.
    if not value.strip():
        raise PydanticCustomError("blank", "must say something, not only white space")
    return value


#: A reason a person must give (a staff decision, a cancellation): present and not blank.
StatedReason = Annotated[Reason, Field(min_length=1), AfterValidator(_not_blank)]


def _no_control_characters(value: str) -> str:
    # CR/LF in a name would let a publisher inject e-mail headers downstream; tabs and other C0/C1
    # controls have no business in a human name either.
    if _CONTROL_CHARACTER.search(value):
        raise PydanticCustomError(
            "control_character", "must not contain control characters such as CR or LF"
        )
    if value != value.strip():
        raise PydanticCustomError(
            "surrounding_white_space", "must not start or end with white space"
        )
    return _storable(value)


#: Python's `str.strip()` white space that is not a control character (those are refused anyway).
_EDGE_SPACE = "\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_NOT_IN_LINE = "\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff"
#: The same rules as a `pattern`: no control character (C0, DEL, C1), no unpaired surrogate, and
#: neither first nor last character white space.
SINGLE_LINE_PATTERN = (
    f"^[^{_NOT_IN_LINE}{_EDGE_SPACE}](?:[^{_NOT_IN_LINE}]*[^{_NOT_IN_LINE}{_EDGE_SPACE}])?$"
)
_SINGLE_LINE_SCHEMA = {
    "pattern": SINGLE_LINE_PATTERN,
    "description": "One line of text: no control characters (CR, LF, tab, C1), no unpaired"
    " surrogates, no white space at either end.",
}

SingleLineText = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra=_SINGLE_LINE_SCHEMA),
    AfterValidator(_no_control_characters),
]
AnswerKey = Annotated[
    str,
    Field(min_length=1, max_length=64, json_schema_extra=_SINGLE_LINE_SCHEMA),
    AfterValidator(_no_control_characters),
]

BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def business_registration_check_digit(first_nine: str) -> str:
    """The check digit of a Korean 사업자등록번호 over its first nine digits."""
    digits = [int(d) for d in first_nine]
    total = sum(d * w for d, w in zip(digits, BRN_WEIGHTS, strict=True))
    total += (digits[8] * 5) // 10
    return str((10 - total % 10) % 10)


def is_valid_business_registration_number(number: str) -> bool:
    """Korean 사업자등록번호: ten digits, the last a check digit over the first nine."""
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    return business_registration_check_digit(number[:9]) == number[9]


def _valid_brn(value: str) -> str:
    if not is_valid_business_registration_number(value):
        raise PydanticCustomError(
            "invalid_business_registration_number",
            "must be a 10-digit business registration number with a valid check digit",
        )
    return value


#: The vendor keyword by which the published JSON Schema names a rule no JSON Schema keyword can
#: express; its value names the algorithm, described in the field's `description`.
CHECK_DIGIT_KEYWORD = "x-aihub-check-digit"
BRN_CHECK_DIGIT = "kr-business-registration-number"
BRN_ALGORITHM = (
    "Korean business registration number (사업자등록번호): ten ASCII digits d1..d10. With the"
    " weights 1,3,7,1,3,7,1,3,5, s = sum(di * wi for i in 1..9) + floor(d9 * 5 / 10); the"
    " check digit d10 must equal (10 - s mod 10) mod 10."
)
_BRN_DIGITS = {"pattern": "^[0-9]{10}$"}

#: Ten digits whose last is the check digit: a contract rule (the schema says so with
#: `x-aihub-check-digit`), for events about startups already in the platform.
BusinessRegistrationNumber = Annotated[
    str,
    Field(
        min_length=10,
        max_length=10,
        examples=["2208162517"],
        description=f"{BRN_ALGORITHM} Refused with code `invalid_business_registration_number`.",
        json_schema_extra={**_BRN_DIGITS, CHECK_DIGIT_KEYWORD: BRN_CHECK_DIGIT},
    ),
    AfterValidator(_valid_brn),
]


def _ten_digits(value: str) -> str:
    # `isdigit()` is true of other scripts' digits too (e.g. "١"); a registration number is ASCII.
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise PydanticCustomError("string_pattern_mismatch", "must be ten digits 0-9")
    return value


#: What a submission carries: ten digits. A wrong check digit is an eligibility reason
#: (`invalid_business_registration_number`: the application is stored as ineligible and the
#: applicant told why), not a broken message.
SubmittedBusinessRegistrationNumber = Annotated[
    str,
    Field(
        min_length=10,
        max_length=10,
        examples=["2208162517"],
        description=f"Ten digits. {BRN_ALGORITHM} A wrong check digit is not a contract"
        " violation: the application is refused as ineligible with the reason"
        " `invalid_business_registration_number`.",
        json_schema_extra=_BRN_DIGITS,
    ),
    AfterValidator(_ten_digits),
]

#: An id a publishing system chooses (`submission_id`, `report_id`): the key of its receipt, so
#: it must not carry personal data (no `@`; and no registration number, by agreement: keys are
#: never erased).
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
ExternalId = Annotated[str, Field(min_length=1, max_length=128, pattern=EXTERNAL_ID_PATTERN)]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _calendar_date(value: object) -> object:
    # Pydantic alone would also take a timestamp, "2022-02-03T00:00:00" or a number; the
    # published schema says `format: date` (RFC 3339 full-date), so that is all we take.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("invalid_date", "must be a real calendar date") from None


CalendarDate = Annotated[
    date,
    BeforeValidator(_calendar_date),
    Field(
        description="A real calendar date, `YYYY-MM-DD` (RFC 3339 full-date, `format: date`):"
        " 2022-02-30 is refused, so validate with format assertion on."
    ),
]


def _whole_number(value: object) -> object:
    # JSON numbers only: pydantic alone would also take "10" or true.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "must be a whole number")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


def _json_boolean(value: object) -> object:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "must be true or false")
    return value


JsonBoolean = Annotated[bool, BeforeValidator(_json_boolean)]


def _rfc3339_text(value: object) -> object:
    # The schema says `format: date-time`, a string; pydantic alone would take a number too.
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("datetime_type", "must be an RFC 3339 date-time string")
    return value


Rfc3339DateTime = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]


EmailAddress = Annotated[
    EmailStr,
    Field(
        max_length=254,
        json_schema_extra={
            "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "description": "An address as the `email-validator` library accepts it (RFC 5322"
            " addr-spec with a DNS domain); deliverability is not checked.",
        },
    ),
]


class Contact(BaseModel):
    """A person we write to: name, address and the language they read."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: SingleLineText
    email: EmailAddress
    locale: Locale = "ko"
