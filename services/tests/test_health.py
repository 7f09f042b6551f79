"""Health answers three ways (healthy, degraded, unhealthy), and only unhealthy is a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from ichrisbirch.health import DEGRADED, HEALTHY, UNHEALTHY, answer, status_of
from tests.servers import free_port, start_api
from tests.test_app import MakeClient, app_client, port_of  # noqa: F401 - app_client is a fixture


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ({"postgres": "ok", "redis": "ok"}, HEALTHY),
        ({"postgres": "ok", "redis": "error: ConnectionError"}, DEGRADED),
        ({"postgres": "error: OperationalError", "redis": "ok"}, UNHEALTHY),
        ({"postgres": "error: OperationalError", "redis": "error: ConnectionError"}, UNHEALTHY),
    ],
)
def test_a_failed_optional_dependency_degrades_and_a_failed_required_one_is_unhealthy(
    checks: dict[str, str], expected: str
) -> None:
    assert status_of(checks, optional=["redis"]) == expected


def test_degraded_is_a_success_and_only_unhealthy_is_503() -> None:
    assert answer(HEALTHY)[1] == answer(DEGRADED)[1] == 200
    assert answer(UNHEALTHY, api="down") == ({"status": "unhealthy", "api": "down"}, 503)


def test_the_app_is_degraded_but_serving_while_the_api_is_degraded(
    app_client: MakeClient, service_env: dict[str, str], log_dir: Path  # noqa: F811
) -> None:
    process, url = start_api({**service_env, "REDIS_PORT": str(free_port())}, log_dir, "api-degraded-for-app")
    try:
        client = app_client(port_of(url))
        response = client.get("/health")
        assert (response.status_code, response.json) == (200, {"status": "degraded", "api": "degraded"})
        page = client.get("/habits/")
        assert page.status_code == 200 and "<title>Habits" in page.text
    finally:
        process.stop()
