"""The api over real HTTP (uvicorn subprocess) against real PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, start_api
from tests.test_config import run_service


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_health_ok(anonymous_api: httpx.Client) -> None:
    response = anonymous_api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "postgres": "ok", "redis": "ok"}


def test_server_info(anonymous_api: httpx.Client) -> None:
    body = anonymous_api.get("/server/").json()
    assert body["environment"] == "testing"
    assert body["server_time"]
    assert body["versions"]["fastapi"] and body["versions"]["sqlalchemy"] and body["versions"]["python"]


def test_habit_crud_round_trip(api: httpx.Client) -> None:
    name = unique("read")
    created = api.post("/habits/", json={"name": name, "category": "learning"})
    assert created.status_code == 201, created.text
    habit = created.json()
    assert habit["name"] == name and habit["category"] == "learning" and habit["is_current"] is True
    assert habit["created_at"]

    assert api.get(f"/habits/{habit['id']}/").json() == habit
    assert habit in api.get("/habits/").json()

    patched = api.patch(f"/habits/{habit['id']}/", json={"is_current": False, "category": "reading"})
    assert patched.status_code == 200
    assert patched.json() == {**habit, "is_current": False, "category": "reading"}

    assert api.delete(f"/habits/{habit['id']}/").status_code == 204
    assert api.get(f"/habits/{habit['id']}/").status_code == 404
    assert api.delete(f"/habits/{habit['id']}/").status_code == 404


def test_task_crud_round_trip(api: httpx.Client) -> None:
    created = api.post("/tasks/", json={"name": unique("task"), "priority": 5})
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["priority"] == 5 and task["add_date"] and task["complete_date"] is None

    assert api.get(f"/tasks/{task['id']}/").json() == task
    assert task["id"] in [t["id"] for t in api.get("/tasks/").json()]

    done = api.patch(f"/tasks/{task['id']}/", json={"complete_date": "2024-01-02T03:04:05+00:00"})
    assert done.status_code == 200
    assert done.json()["complete_date"].startswith("2024-01-02T03:04:05")
    assert done.json()["priority"] == 5

    assert api.delete(f"/tasks/{task['id']}/").status_code == 204
    assert api.get(f"/tasks/{task['id']}/").status_code == 404


@pytest.mark.parametrize("resource", ["habits", "tasks"])
def test_unknown_id_is_404(api: httpx.Client, resource: str) -> None:
    for response in (
        api.get(f"/{resource}/999999999/"),
        api.patch(f"/{resource}/999999999/", json={"name": "x"}),
        api.delete(f"/{resource}/999999999/"),
    ):
        assert response.status_code == 404
        assert "not found" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/habits/", {"category": "health"}, "name"),
        ("/habits/", {"name": "   ", "category": "health"}, "name"),
        ("/tasks/", {"name": "t", "priority": 0}, "priority"),
        ("/tasks/", {"name": "t", "priority": "high"}, "priority"),
    ],
)
def test_invalid_body_is_422(api: httpx.Client, path: str, body: dict, field: str) -> None:
    response = api.post(path, json=body)
    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["detail"]]


def test_patch_rejects_null_for_required_field(api: httpx.Client) -> None:
    habit = api.post("/habits/", json={"name": unique("n"), "category": "c"}).json()
    response = api.patch(f"/habits/{habit['id']}/", json={"name": None})
    assert response.status_code == 422
    api.delete(f"/habits/{habit['id']}/")


def test_writes_without_api_key_are_401(api: httpx.Client, anonymous_api: httpx.Client) -> None:
    habit = api.post("/habits/", json={"name": unique("key"), "category": "c"}).json()
    attempts = [
        anonymous_api.post("/habits/", json={"name": "x", "category": "c"}),
        anonymous_api.patch(f"/habits/{habit['id']}/", json={"name": "x"}),
        anonymous_api.delete(f"/habits/{habit['id']}/"),
        anonymous_api.post("/tasks/", json={"name": "x", "priority": 1}),
        anonymous_api.post("/habits/", json={"name": "x", "category": "c"}, headers={"X-API-Key": "wrong"}),
    ]
    assert [r.status_code for r in attempts] == [401] * len(attempts)
    assert anonymous_api.get(f"/habits/{habit['id']}/").status_code == 200  # reads stay open
    api.delete(f"/habits/{habit['id']}/")


def test_habits_list_cache_miss_hit_then_miss_after_write(api: httpx.Client) -> None:
    habit = api.post("/habits/", json={"name": unique("cache"), "category": "c"}).json()  # invalidates
    first, second = api.get("/habits/"), api.get("/habits/")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert first.json() == second.json()
    assert habit in second.json()

    api.patch(f"/habits/{habit['id']}/", json={"name": "renamed"})
    after_write = api.get("/habits/")
    assert after_write.headers["X-Cache"] == "miss"
    assert {**habit, "name": "renamed"} in after_write.json()

    api.delete(f"/habits/{habit['id']}/")
    assert api.get("/habits/").headers["X-Cache"] == "miss"


def test_habits_list_etag_answers_304_until_a_write(api: httpx.Client) -> None:
    api.get("/habits/")
    listed = api.get("/habits/")
    tag = listed.headers["ETag"]
    assert listed.headers["Cache-Control"] == "no-cache"
    for given in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        unchanged = api.get("/habits/", headers={"If-None-Match": given})
        assert (unchanged.status_code, unchanged.content, unchanged.headers["ETag"]) == (304, b"", tag), given
    assert api.get("/habits/", headers={"If-None-Match": '"g-1"'}).status_code == 200

    habit = api.post("/habits/", json={"name": unique("etag"), "category": "c"}).json()
    changed = api.get("/habits/", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert habit in changed.json()
    api.delete(f"/habits/{habit['id']}/")
    assert api.get("/habits/", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200


def test_cached_list_path_has_no_thread_pool_hop() -> None:
    """Every dependency of GET /habits/ is async: FastAPI runs a sync one in the thread pool (half the throughput)."""
    import asyncio

    from fastapi.routing import APIRoute

    from ichrisbirch.api import habits
    from ichrisbirch.api.deps import require_api_key_for_writes

    route = next(r for r in habits.router.routes if isinstance(r, APIRoute) and r.name == "list_habits")
    dependencies = [require_api_key_for_writes, route.endpoint]
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        dependencies.append(dependant.call)
        stack.extend(dependant.dependencies)
    assert [d.__name__ for d in dependencies if not asyncio.iscoroutinefunction(d)] == []


def test_health_is_degraded_200_while_redis_is_down_and_the_list_still_serves(service_env: dict[str, str], log_dir: Path) -> None:
    env = {**service_env, "REDIS_PORT": str(free_port())}  # nothing listens there
    process, url = start_api(env, log_dir, "api-no-redis")  # starts and answers 200 without Redis
    try:
        response = httpx.get(f"{url}/health", timeout=10)
        assert response.status_code == 200
        assert response.json() == {"status": "degraded", "postgres": "ok", "redis": "error: ConnectionError"}
        # The habits list still works without its cache, and says so.
        habits = httpx.get(f"{url}/habits/", timeout=10)
        assert (habits.status_code, habits.headers["X-Cache"]) == (200, "bypass")
        # The compose healthcheck passes (the service serves) and says it is degraded.
        probe = run_service(["-m", "ichrisbirch.healthcheck", f"{url}/health"], {})
        assert (probe.returncode, probe.stdout.strip()) == (0, f"degraded (serving): {url}/health")
    finally:
        process.stop()
