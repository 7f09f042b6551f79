"""``python -m ichrisbirch.healthcheck URL``: exit 0 when URL (``http://host[:port]/path``) answers HTTP 200, else 1.

A degraded service answers 200 with ``"status": "degraded"`` (see :mod:`ichrisbirch.health`): it serves, so the
check passes and says so on stdout.  Standard library only: used by the Docker HEALTHCHECK and compose
healthchecks (the image has no curl).

One plain HTTP/1.0 request on a socket, not ``urllib.request``: Docker runs the check inside the service's container,
within its CPU quota, every 10 s, and importing ``urllib.request`` (http.client, email, ssl) was most of the check's
CPU: a burst that could use up the container's quota for the rest of a 100 ms period while the service was busy.
"""

from __future__ import annotations

import json
import socket
import sys

TIMEOUT_SECONDS = 5
MAX_ANSWER_BYTES = 65536


def split_url(url: str) -> tuple[str, int, str]:
    """(host, port, path) of an ``http://`` URL; ValueError for anything else."""
    scheme, separator, rest = url.partition("://")
    if scheme.lower() != "http" or not separator:
        raise ValueError(f"not an http:// URL: {url!r}")
    authority, slash, path = rest.partition("/")
    host, port = authority, "80"
    if authority.startswith("["):  # [IPv6]:port
        host, _, after = authority[1:].partition("]")
        port = after[1:] if after.startswith(":") else port
    elif ":" in authority:
        host, port = authority.rsplit(":", 1)
    if not host or not port.isdigit():
        raise ValueError(f"no host or port in {url!r}")
    return host, int(port), slash + path if slash else "/"


def probe(url: str, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """The answer's ``status`` (``healthy`` when the body has none) when URL answers 200, else None."""
    try:
        host, port, path = split_url(url)
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode())
            answer = bytearray()
            while len(answer) < MAX_ANSWER_BYTES and (chunk := connection.recv(MAX_ANSWER_BYTES)):
                answer += chunk
    except (OSError, ValueError):
        return None
    head, _, body = bytes(answer).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/") or status_line[1] != b"200":
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
        print("usage: python -m ichrisbirch.healthcheck http://host[:port]/path", file=sys.stderr)
        return 1
    try:
        split_url(argv[0])
    except ValueError as error:
        print(f"usage: python -m ichrisbirch.healthcheck http://host[:port]/path ({error})", file=sys.stderr)
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
