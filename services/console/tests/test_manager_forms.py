"""The manager pages' pure pieces: reviewers typed one per line, a due day in Seoul, a list
field's refusals gathered at the field, and a page of a list with its total."""

from __future__ import annotations

from datetime import datetime

import pytest

from aihub_console.adapters.manager_views import Page
from aihub_console.domain.manager_forms import (
    SEOUL,
    ReviewerLine,
    end_of_day_in_seoul,
    gathered,
    optional_int,
    reviewer_lines,
)
from aihub_console.domain.refusals import FormErrors


def test_reviewer_lines_take_a_name_with_the_address_or_the_address_alone() -> None:
    text = "김민지 <Kim@Hub.example>\n\n  lee@hub.example  \nPark Jae <park@hub.example>"
    assert reviewer_lines(text) == [
        ReviewerLine("Kim@Hub.example", "김민지"),
        ReviewerLine("lee@hub.example", "lee"),
        ReviewerLine("park@hub.example", "Park Jae"),
    ]
    # Whatever is not an address stays as typed: the service says why, at its line.
    assert reviewer_lines("not an address") == [ReviewerLine("not an address", "not an address")]


def test_a_due_day_is_the_end_of_that_day_in_seoul() -> None:
    assert end_of_day_in_seoul("2027-03-01") == datetime(2027, 3, 1, 23, 59, tzinfo=SEOUL)
    assert end_of_day_in_seoul("  ") is None
    with pytest.raises(ValueError, match="Invalid isoformat"):
        end_of_day_in_seoul("next week")
    assert optional_int(" ") is None
    assert optional_int("3") == 3
    with pytest.raises(ValueError, match="invalid literal"):
        optional_int("three")


def test_refusals_of_list_items_are_gathered_at_the_field_with_the_line() -> None:
    errors = FormErrors(
        {"reviewers.1.id": ["not a valid email"], "per_application": ["too big"]}, "page"
    )
    assert gathered(errors, "reviewers") == FormErrors(
        {"reviewers": ["2: not a valid email"], "per_application": ["too big"]}, "page"
    )


def test_a_page_knows_its_neighbours() -> None:
    middle = Page(items=[1, 2], total=5, limit=2, offset=2)
    assert (middle.previous_offset, middle.next_offset) == (0, 4)
    assert (middle.first_shown, middle.last_shown) == (3, 4)
    last = Page(items=[5], total=5, limit=2, offset=4)
    assert last.next_offset is None
    empty: Page[int] = Page(items=[], total=0, limit=50, offset=0)
    assert (empty.previous_offset, empty.next_offset, empty.first_shown) == (None, None, 0)
