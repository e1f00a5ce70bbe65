"""What the browser tests share besides fixtures: Debian's chromium and how it is started, the
accessibility check with axe-core (from npm), screenshots, and the links in captured mails."""

from __future__ import annotations

import email.header
import email.policy
import mailbox
import re
from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from aihub_local.browser import CHROMIUM, CHROMIUM_ARGS

REPO_ROOT = Path(__file__).resolve().parents[2]
__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "assert_accessible", "console_link", "subject_of"]
#: Copied from npm by ./dev bootstrap (services/console/package.json "vendor").
AXE_SOURCE = REPO_ROOT / "services/console/src/aihub_console/static/vendor/axe.min.js"
#: axe-core's impact levels that fail a test.
FAILING_IMPACTS = ("serious", "critical")
#: A JSON Web Token (what an access, refresh or ID token of Keycloak looks like).
JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+")


async def assert_accessible(page: Page) -> None:
    """axe-core on the page as it is now; fails on any serious or critical violation. axe is
    evaluated through the DevTools protocol, which the page's CSP does not govern: the console's
    CSP stays as strict as it is in production."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(_axe_source())
    results: dict[str, Any] = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
    )
    failing = [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]
    assert not failing, f"accessibility violations on {page.url}: {failing}"


@cache
def _axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def screenshot_dir(state_dir: Path) -> Path:
    directory = state_dir / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def subject_of(message: mailbox.MaildirMessage) -> str:
    """A captured mail's subject, decoded (Korean subjects travel RFC 2047-encoded)."""
    return str(email.header.make_header(email.header.decode_header(message.get("Subject", ""))))


def links_in_mail(message: mailbox.MaildirMessage) -> list[str]:
    """Every http(s) link of a captured mail, from its HTML and text parts."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    links: list[str] = []
    for part in parsed.walk():
        if part.get_content_maintype() != "text":
            continue
        body = part.get_content()
        links += re.findall(r"https?://[^\s\"'<>]+", body)
    return links


def console_link(messages: list[mailbox.MaildirMessage], console_url: str, path_prefix: str) -> str:
    """The first link into the console at `path_prefix` in the given mails (newest last)."""
    for message in reversed(messages):
        for link in links_in_mail(message):
            if link.startswith(f"{console_url}{path_prefix}"):
                return link
    raise AssertionError(f"no link to {console_url}{path_prefix} in {len(messages)} mail(s)")
