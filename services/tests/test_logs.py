"""Each server log line is printed once, in the services' format."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.servers import start_api


def test_uvicorn_startup_and_access_lines_appear_once(service_env: dict[str, str], log_dir: Path) -> None:
    process, url = start_api(service_env, log_dir, "api-log-once")
    try:
        assert httpx.get(f"{url}/habits/", timeout=10).status_code == 200
    finally:
        process.stop()
    lines = process.log_path.read_text().splitlines()

    def count(text: str) -> int:
        return sum(text in line for line in lines)

    for startup in ("Started server process", "Application startup complete", "Uvicorn running on"):
        assert count(startup) == 1, f"{startup!r} appears {count(startup)} times:\n" + "\n".join(lines)
    assert count('"GET /habits/ HTTP/1.1" 200') == 1, "\n".join(lines)
    assert count("Shutting down") == 1, "\n".join(lines)
    # One format for every line, the server's included: "<date> <time> LEVEL logger: message".
    assert all(line.split(" ")[2] in {"DEBUG", "INFO", "WARNING", "ERROR"} for line in lines if line), "\n".join(lines)
