"""``python -m ichrisbirch.healthcheck URL``: exit 0 when URL answers HTTP 200, else 1.

Standard library only: used by the Docker HEALTHCHECK and compose healthchecks
(the image has no curl).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 5


def check(url: str, timeout: float = TIMEOUT_SECONDS) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m ichrisbirch.healthcheck URL", file=sys.stderr)
        return 1
    healthy = check(argv[0])
    if not healthy:
        print(f"unhealthy: {argv[0]}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
