"""Value types shared by the contracts; they refuse hostile text at the door."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

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


def _storable(value: str) -> str:
    # Postgres text cannot hold NUL and UTF-8 cannot encode an unpaired surrogate: refused at the
    # door, such text would otherwise fail only when stored, far from the publisher.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("must not contain unpaired surrogates")
    return value


FreeText = Annotated[str, Field(max_length=5000), AfterValidator(_storable)]
#: Why something was decided, withdrawn or cancelled. Nested, so its limit wins over FreeText's:
#: `reason: FreeText = Field(max_length=2000)` would silently keep 5000.
Reason = Annotated[FreeText, Field(max_length=2000)]


def _not_blank(value: str) -> str:
    # "Always with a recorded reason": white space alone records none.
    if not value.strip():
        raise ValueError("must say something, not only white space")
    return value


#: A reason a person must give (a staff decision, a cancellation): present and not blank.
StatedReason = Annotated[Reason, Field(min_length=1), AfterValidator(_not_blank)]


def _no_control_characters(value: str) -> str:
    # CR/LF in a name would let a publisher inject e-mail headers downstream; tabs and other C0/C1
    # controls have no business in a human name either.
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise ValueError("must not contain control characters such as CR or LF")
    if value != value.strip():
        raise ValueError("must not start or end with white space")
    return _storable(value)


SingleLineText = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(_no_control_characters)
]
AnswerKey = Annotated[
    str, Field(min_length=1, max_length=64), AfterValidator(_no_control_characters)
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
        raise ValueError("must be a 10-digit business registration number with a valid check digit")
    return value


BusinessRegistrationNumber = Annotated[
    str,
    Field(min_length=10, max_length=10, examples=["2208162517"]),
    AfterValidator(_valid_brn),
]


class Contact(BaseModel):
    """A person we write to: name, address and the language they read."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: SingleLineText
    email: EmailStr = Field(max_length=254)
    locale: Locale = "ko"
