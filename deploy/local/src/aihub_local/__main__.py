"""``python -m aihub_local`` is ``aihub-local``."""

from aihub_local.cli import app

app()
