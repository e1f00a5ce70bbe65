"""After sign-in or a language switch the console sends the browser only to its own pages."""

from __future__ import annotations

import pytest

from aihub_console.entrypoints.auth import local_path


@pytest.mark.parametrize("path", ["/", "/reviews", "/reviews/abc?x=1", "/cohorts/c-1/ranking"])
def test_own_paths_pass(path: str) -> None:
    assert local_path(path) == path


@pytest.mark.parametrize(
    "path",
    [None, "", "https://evil.example/", "//evil.example/x", "/\\evil.example", "reviews", "/a\nb"],
)
def test_anything_else_goes_home(path: str | None) -> None:
    assert local_path(path) == "/"
