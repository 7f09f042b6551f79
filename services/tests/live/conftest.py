"""The live suite: ``python -m pytest tests/live`` against an already running stack.

The stack is described by the configuration contract's variables.  Missing
variables fail the tests with one clear message: this suite never skips.  The
``canary`` test is deselected unless ``-m`` is given (``pytest tests/live -m canary``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Iterator

import httpx
import pytest

REQUIRED = (
    "FASTAPI_HOST", "FASTAPI_PORT", "FLASK_HOST", "FLASK_PORT", "API_SECRET_KEY",
    "SCHEDULER_HEALTH_HOST", "SCHEDULER_HEALTH_PORT",
    "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DB", "POSTGRES_USERNAME", "POSTGRES_PASSWORD",
    "REDIS_HOST", "REDIS_PORT",
)


def pytest_configure(config: pytest.Config) -> None:
    if not config.option.markexpr:
        config.option.markexpr = "not canary"


@dataclass(frozen=True)
class Stack:
    api_url: str
    app_url: str
    scheduler_url: str
    api_key: str


@pytest.fixture(scope="session")
def stack() -> Stack:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        pytest.fail(
            "live suite: set " + ", ".join(missing) + " to point at the running stack "
            "(the variables of the configuration contract)",
            pytrace=False,
        )
    env = os.environ
    return Stack(
        api_url=f"{env.get('FASTAPI_PROTOCOL') or 'http'}://{env['FASTAPI_HOST']}:{env['FASTAPI_PORT']}",
        app_url=f"http://{env['FLASK_HOST']}:{env['FLASK_PORT']}",
        scheduler_url=f"http://{env['SCHEDULER_HEALTH_HOST']}:{env['SCHEDULER_HEALTH_PORT']}",
        api_key=env["API_SECRET_KEY"],
    )


@pytest.fixture()
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": stack.api_key}, timeout=10) as client:
        yield client


@pytest.fixture()
def habit(api: httpx.Client) -> Iterator[dict]:
    response = api.post("/habits/", json={"name": f"live-{uuid.uuid4().hex[:8]}", "category": "live-test"})
    assert response.status_code == 201, response.text
    yield response.json()
    api.delete(f"/habits/{response.json()['id']}/")
