"""Debian's chromium as the browser tests and the console benchmark start it (Playwright's own
browser download cannot work on these machines; `chromium` is in deploy/apt-packages.txt)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
