"""The three answers of every ``/health``: healthy, degraded and unhealthy.

*Degraded* means a dependency the service can serve without is down (Redis for
the api: reads bypass the cache; a degraded api for the app).  It is a success
(HTTP 200 with ``"status": "degraded"``), so every probe that asks "does it
serve?" (Kubernetes readiness, the compose healthcheck, ``python -m
ichrisbirch.healthcheck``) keeps the service in rotation; the AppHost's health
check reads the body and shows it as Degraded on the dashboard.  *Unhealthy*
(503) means it cannot serve: a required dependency is down.
"""

from __future__ import annotations

from typing import Iterable, Mapping

HEALTHY = "healthy"
DEGRADED = "degraded"
UNHEALTHY = "unhealthy"
OK = "ok"
STATUS_CODES = {HEALTHY: 200, DEGRADED: 200, UNHEALTHY: 503}


def status_of(checks: Mapping[str, str], optional: Iterable[str] = ()) -> str:
    """``checks`` maps a dependency to ``"ok"`` or its error; a failed ``optional`` one only degrades."""
    failed = {name for name, result in checks.items() if result != OK}
    if failed - set(optional):
        return UNHEALTHY
    return DEGRADED if failed else HEALTHY


def answer(status: str, **details: object) -> tuple[dict[str, object], int]:
    """The JSON body and the HTTP status of a health answer."""
    return {"status": status, **details}, STATUS_CODES[status]
