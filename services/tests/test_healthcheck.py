"""``python -m ichrisbirch.healthcheck URL``: the container health check, on a plain socket."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ichrisbirch.healthcheck import split_url

SERVICES = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://localhost:8000/health", ("localhost", 8000, "/health")),
    ("http://127.0.0.1:8100/health?x=1", ("127.0.0.1", 8100, "/health?x=1")),
    ("http://api/health", ("api", 80, "/health")),
    ("http://[::1]:5000/health", ("::1", 5000, "/health")),
    ("HTTP://example:81", ("example", 81, "/")),
])
def test_split_url(url: str, expected: tuple[str, int, str]) -> None:
    assert split_url(url) == expected


@pytest.mark.parametrize("url", ["https://localhost/health", "localhost:8000/health", "http://:8000/", "http://host:port/"])
def test_anything_but_an_http_url_is_a_usage_error_naming_the_form(url: str) -> None:
    run = subprocess.run([sys.executable, "-m", "ichrisbirch.healthcheck", url], cwd=SERVICES, capture_output=True, text=True)
    assert run.returncode == 1
    assert "usage: python -m ichrisbirch.healthcheck http://host[:port]/path" in run.stderr


def test_the_check_imports_no_http_client_library() -> None:
    """What it imports is what every check costs inside the service's CPU quota (urllib.request was most of it)."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "ichrisbirch.healthcheck", "http://127.0.0.1:1/health"],
                         cwd=SERVICES, capture_output=True, text=True)
    assert run.returncode == 1  # nothing listens on port 1
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"urllib.request", "http.client", "email.parser", "ssl"}, sorted(imported)
