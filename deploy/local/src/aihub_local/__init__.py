"""Local launcher for the platform's real infrastructure: Kafka (KRaft), Postgres, SMTP capture.

Everything runs as plain background OS processes recorded in a state directory; see
``deploy/local/README.md``.
"""

from aihub_local.processes import ManagedProcess, wait_http_ok
from aihub_local.stack import LocalStack, StackEndpoints

__all__ = ["LocalStack", "ManagedProcess", "StackEndpoints", "wait_http_ok"]
