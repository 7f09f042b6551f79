"""Sign-in attempts are limited per client address, across gunicorn workers and app replicas (real processes)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ichrisbirch.api.sign_in import SIGN_IN_LIMIT, SIGN_IN_WINDOW_SECONDS
from tests.servers import ServiceProcess, free_port
from tests.test_app import ADMIN_PASSWORD, APP_ENV, forget_sign_in_attempts, port_of, unique_address

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def start_app(api_url: str, log_dir: Path, name: str, trusted_proxies: int) -> tuple[ServiceProcess, str]:
    """The app under gunicorn with two workers, as deployed."""
    port = free_port()
    env = {**APP_ENV, "FASTAPI_PORT": str(port_of(api_url)), "WEB_CONCURRENCY": "2",
           "TRUSTED_PROXY_COUNT": str(trusted_proxies)}
    app = ServiceProcess(["-m", "gunicorn", "ichrisbirch.wsgi_app:app", "--bind", f"127.0.0.1:{port}"],
                         env, log_dir, name)
    app.wait_http(f"http://127.0.0.1:{port}/health")
    return app, f"http://127.0.0.1:{port}"


@pytest.fixture()
def two_replicas(api_url: str, log_dir: Path) -> Iterator[tuple[str, str]]:
    """Two app replicas behind a (pretend) proxy that sets X-Forwarded-For: TRUSTED_PROXY_COUNT=1."""
    a, url_a = start_app(api_url, log_dir, "app-replica-a", trusted_proxies=1)
    b, url_b = start_app(api_url, log_dir, "app-replica-b", trusted_proxies=1)
    yield url_a, url_b
    a.stop()
    b.stop()


def attempt(url: str, password: str, forwarded_for: str | None = None) -> httpx.Response:
    """One sign-in as a fresh browser (new connection: any worker may take it)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client(base_url=url, timeout=10, headers=headers) as browser:
        token = TOKEN.search(browser.get("/login").text).group(1)
        return browser.post("/login", data={"csrf_token": token, "password": password})


def test_the_limit_holds_across_workers_and_replicas_per_forwarded_address(two_replicas: tuple[str, str]) -> None:
    url_a, url_b = two_replicas
    attacker, neighbour = unique_address(), unique_address()
    statuses = [attempt(url_a if i % 2 else url_b, "wrong", attacker).status_code for i in range(SIGN_IN_LIMIT)]
    assert statuses == [401] * SIGN_IN_LIMIT

    refused = attempt(url_a, ADMIN_PASSWORD, attacker)  # even the right password, past the limit
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= SIGN_IN_WINDOW_SECONDS
    assert "Too many sign-in attempts from your address. Try again in 10 minutes." in refused.text
    assert attempt(url_b, "wrong", attacker).status_code == 429
    assert attempt(url_b, ADMIN_PASSWORD, neighbour).status_code == 303  # another address is not affected


def test_without_a_trusted_proxy_a_rotated_x_forwarded_for_escapes_nothing(
    api_url: str, log_dir: Path, engine: Engine
) -> None:
    forget_sign_in_attempts(engine, "127.0.0.1")
    app, url = start_app(api_url, log_dir, "app-no-proxy", trusted_proxies=0)
    try:
        statuses = [attempt(url, "wrong", f"198.51.100.{i}").status_code for i in range(SIGN_IN_LIMIT + 1)]
    finally:
        app.stop()
        forget_sign_in_attempts(engine, "127.0.0.1")
    assert statuses == [401] * SIGN_IN_LIMIT + [429]


def test_the_api_counts_per_address_and_a_new_window_starts_over(api: httpx.Client, engine: Engine) -> None:
    client = f"test-{uuid.uuid4().hex[:8]}"
    answers = [api.post("/sign-in/attempts", json={"client": client}) for _ in range(SIGN_IN_LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * SIGN_IN_LIMIT + [429]
    assert answers[-1].headers["Retry-After"] == str(answers[-1].json()["retry_after"])
    assert api.post("/sign-in/attempts", json={"client": f"{client}-other"}).status_code == 200

    with engine.begin() as connection:  # the window is over
        connection.execute(text("UPDATE public.sign_in_attempts SET window_start = now() - make_interval(secs => :w)"
                                " WHERE client = :c"), {"w": SIGN_IN_WINDOW_SECONDS, "c": client})
    assert api.post("/sign-in/attempts", json={"client": client}).json()["attempts"] == 1


def test_counting_an_attempt_needs_the_api_key(anonymous_api: httpx.Client) -> None:
    assert anonymous_api.post("/sign-in/attempts", json={"client": "x"}).status_code == 401
