"""``/health`` (dependencies: healthy, degraded or unhealthy, see :mod:`ichrisbirch.health`) and ``/server/`` (environment and versions)."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib import metadata
from typing import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ichrisbirch import health as states
from ichrisbirch.cache import check_redis
from ichrisbirch.db import check_postgres

router = APIRouter(tags=["server"])

VERSIONED_PACKAGES = ("fastapi", "pydantic", "starlette", "sqlalchemy", "psycopg", "redis", "uvicorn", "gunicorn")


async def _probe(check: Callable[[], Awaitable[None]]) -> str:
    try:
        await check()
    except Exception as error:  # the class name is the report; messages may hold hosts
        return f"error: {type(error).__name__}"
    return "ok"


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Unhealthy (503) without PostgreSQL; degraded (200) without Redis, which reads bypass."""
    state = request.app.state
    checks = {
        "postgres": await _probe(lambda: run_in_threadpool(check_postgres, state.engine)),
        "redis": await _probe(lambda: check_redis(state.redis)),
    }
    body, status_code = states.answer(states.status_of(checks, optional=["redis"]), **checks)
    return JSONResponse(body, status_code=status_code)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@router.get("/server/")
def server_info(request: Request) -> dict:
    return {
        "environment": request.app.state.settings.environment,
        "server_time": datetime.now(timezone.utc).isoformat(),
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in VERSIONED_PACKAGES}},
    }
