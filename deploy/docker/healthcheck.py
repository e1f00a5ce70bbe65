"""Container health probe: `python healthcheck.py /health/live` (or `/health/ready`).

Copied into every service image (see services/*/Dockerfile) and run by Docker's HEALTHCHECK and by
docker-compose.yml. Standard library only: it runs with the image's Python, outside the service.
Exits 0 when the service answers 2xx on 127.0.0.1:$HTTP_PORT (default 8000), else 1.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PATH = "/health/live"
#: Below the 5 s `timeout` the HEALTHCHECKs give Docker, so a hung service reads as unhealthy.
TIMEOUT_SECONDS = 4.0


def probe(path: str, port: int, timeout: float) -> tuple[bool, str]:
    """Ask the service; return (healthy, what was seen)."""
    url = f"http://127.0.0.1:{port}{path}"
    # No proxy, whatever http_proxy says: the service is on this host.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return False, f"{url}: HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return False, f"{url}: {type(exc).__name__}: {exc}"
    return 200 <= status < 300, f"{url}: HTTP {status}"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else DEFAULT_PATH
    if not path.startswith("/"):
        print(f"healthcheck: path must start with '/': {path!r}", file=sys.stderr)
        return 2
    try:
        port = int(os.environ.get("HTTP_PORT", "8000"))
    except ValueError as exc:
        print(f"healthcheck: bad HTTP_PORT: {exc}", file=sys.stderr)
        return 2
    healthy, seen = probe(path, port, TIMEOUT_SECONDS)
    print(seen, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
