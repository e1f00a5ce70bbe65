"""Named places where a crash test can kill the process (`kill -9`) at an exact moment.

Inert unless the environment variable `AIHUB_FAILPOINT` names the place; only the crash tests
set it. Timing a kill from outside cannot hit "after the DB commit, before the offset commit"
reliably; these make the worst moments reproducible.
"""

from __future__ import annotations

import os
import signal

ENV = "AIHUB_FAILPOINT"


def crash_if_armed(place: str) -> None:
    if os.environ.get(ENV) == place:
        os.kill(os.getpid(), signal.SIGKILL)
