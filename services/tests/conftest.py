"""Fixtures of the self-contained suite.

PostgreSQL and Redis are throwaway servers started here, unless POSTGRES_HOST /
REDIS_HOST are set, in which case the POSTGRES_* / REDIS_* variables of the
configuration contract point at existing servers (the suite then writes test rows
to that database).  The api runs for real: uvicorn in a subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from ichrisbirch import db
from ichrisbirch.config import load_postgres_settings
from tests.servers import API_SECRET_KEY, PostgresServer, RedisServer, start_api

LIVE_DIR = Path(__file__).parent / "live"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Collect tests/live only when it is named on the command line (``pytest tests/live``)."""
    if collection_path != LIVE_DIR:
        return None
    for arg in config.args:
        target = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if target == LIVE_DIR or LIVE_DIR in target.parents:
            return None
    return True


def _server_env(prefix: str, server_type: type) -> Iterator[dict[str, str]]:
    """The existing server named by ``{prefix}HOST`` in the environment, else a throwaway one."""
    if os.environ.get(f"{prefix}HOST"):
        yield {k: v for k, v in os.environ.items() if k.startswith(prefix)}
        return
    server = server_type().start()
    try:
        yield server.env()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_env() -> Iterator[dict[str, str]]:
    yield from _server_env("POSTGRES_", PostgresServer)


@pytest.fixture(scope="session")
def redis_env() -> Iterator[dict[str, str]]:
    yield from _server_env("REDIS_", RedisServer)


@pytest.fixture(scope="session")
def service_env(postgres_env: dict[str, str], redis_env: dict[str, str]) -> dict[str, str]:
    """Environment for the api and the scheduler."""
    return {"ENVIRONMENT": "testing", "LOG_LEVEL": "info", "API_SECRET_KEY": API_SECRET_KEY,
            **postgres_env, **redis_env}


@pytest.fixture(scope="session")
def engine(postgres_env: dict[str, str]) -> Iterator[Engine]:
    engine = db.make_engine(load_postgres_settings(postgres_env))
    db.create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def api_url(service_env: dict[str, str], log_dir: Path) -> Iterator[str]:
    process, url = start_api(service_env, log_dir, "api")
    yield url
    process.stop()


@pytest.fixture()
def api(api_url: str) -> Iterator[httpx.Client]:
    """An api client that sends the write key."""
    with httpx.Client(base_url=api_url, headers={"X-API-Key": API_SECRET_KEY}, timeout=10) as client:
        yield client


@pytest.fixture()
def anonymous_api(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, timeout=10) as client:
        yield client
