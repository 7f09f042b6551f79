"""Each server log line is printed once, in the services' format."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.servers import ServiceProcess, free_port, start_api, wait_until


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


def test_gunicorn_worker_startup_lines_appear_once_per_worker(service_env: dict[str, str], log_dir: Path) -> None:
    port = free_port()
    process = ServiceProcess(
        ["-m", "gunicorn", "ichrisbirch.wsgi_api:api", "-k", "uvicorn.workers.UvicornWorker", "--workers", "2",
         "--bind", f"127.0.0.1:{port}"], service_env, log_dir, "gunicorn-log-once")
    try:
        process.wait_http(f"http://127.0.0.1:{port}/health")
        # /health answers once one worker is up; the other may still be importing the app.
        wait_until(lambda: process.log_path.read_text().count("Application startup complete") >= 2 or None,
                   "both workers' startup")
    finally:
        process.stop()
    log = process.log_path.read_text()
    pids = re.findall(r"Booting worker with pid: (\d+)", log)
    assert len(pids) == 2, log
    for pid in pids:
        assert log.count(f"Started server process [{pid}]") == 1, log
    assert log.count("Application startup complete") == 2, log


def test_gunicorn_logs_each_request_once(service_env: dict[str, str], log_dir: Path) -> None:
    port = free_port()
    process = ServiceProcess(
        ["-m", "gunicorn", "ichrisbirch.wsgi_api:api", "-k", "uvicorn.workers.UvicornWorker", "--workers", "1",
         "--bind", f"127.0.0.1:{port}"], service_env, log_dir, "gunicorn-access-log")
    try:
        process.wait_http(f"http://127.0.0.1:{port}/health")
        assert httpx.get(f"http://127.0.0.1:{port}/habits/", timeout=10).status_code == 200
    finally:
        process.stop()
    log = process.log_path.read_text()
    assert log.count('"GET /habits/ HTTP/1.1" 200') == 1, log
