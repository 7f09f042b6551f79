"""``python -m ichrisbirch.healthcheck URL``: exit 0 when URL answers HTTP 200, else 1.

A degraded service answers 200 with ``"status": "degraded"`` (see :mod:`ichrisbirch.health`): it serves, so the
check passes and says so on stdout.  Standard library only: used by the Docker HEALTHCHECK and compose
healthchecks (the image has no curl).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 5


def probe(url: str, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """The answer's ``status`` (``healthy`` when the body has none) when URL answers 200, else None."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            if response.status != 200:
                return None
            body = response.read(65536)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    try:
        status = json.loads(body).get("status")
    except (ValueError, AttributeError):
        status = None
    return status if isinstance(status, str) else "healthy"


def check(url: str, timeout: float = TIMEOUT_SECONDS) -> bool:
    return probe(url, timeout) is not None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m ichrisbirch.healthcheck URL", file=sys.stderr)
        return 1
    status = probe(argv[0])
    if status is None:
        print(f"unhealthy: {argv[0]}", file=sys.stderr)
        return 1
    if status != "healthy":
        print(f"{status} (serving): {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
