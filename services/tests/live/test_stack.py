"""Smoke tests of a running stack (api, app, scheduler, PostgreSQL, Redis)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
import redis

from ichrisbirch import cache, db
from ichrisbirch.config import load_postgres_settings, load_redis_settings
from ichrisbirch.jobs import JOBSTORE_TABLE
from tests.live.conftest import Stack
from tests.servers import wait_until

pytestmark = pytest.mark.live


def test_api_health(stack: Stack) -> None:
    response = httpx.get(f"{stack.api_url}/health", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "healthy", "postgres": "ok", "redis": "ok"}


def test_app_health(stack: Stack) -> None:
    response = httpx.get(f"{stack.app_url}/health", timeout=10)
    assert response.status_code == 200, response.text


def scheduler_leads(stack: Stack) -> dict:
    """The stack's one scheduler's health once it leads (it is a healthy standby for its first seconds)."""
    response = httpx.get(f"{stack.scheduler_url}/health", timeout=10)
    assert response.status_code == 200, response.text
    return response.json() if response.json()["role"] == "leader" else {}


def test_scheduler_health(stack: Stack) -> None:
    health = wait_until(lambda: scheduler_leads(stack), "the scheduler to lead", timeout=20)
    assert "decrease_task_priority" in [job["id"] for job in health["jobs"]]


def test_habit_created_via_api_appears_on_app_page(stack: Stack, habit: dict) -> None:
    page = httpx.get(f"{stack.app_url}/habits/", timeout=10)
    assert page.status_code == 200
    assert habit["name"] in page.text


def test_habits_cache_miss_then_hit(api: httpx.Client, habit: dict) -> None:
    first, second = api.get("/habits/"), api.get("/habits/")  # the fixture's write invalidated the cache
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert habit in second.json()


def test_writes_need_api_key(stack: Stack) -> None:
    response = httpx.post(f"{stack.api_url}/habits/", json={"name": "x", "category": "y"}, timeout=10)
    assert response.status_code == 401


def test_cached_habits_list_is_in_the_stacks_redis(api: httpx.Client, habit: dict) -> None:
    api.get("/habits/")
    settings = load_redis_settings()
    client = redis.Redis(host=settings.host, port=settings.port, password=settings.password or None)
    try:
        assert client.exists(cache.HABITS_LIST_KEY)
    finally:
        client.close()


def test_scheduler_job_is_persisted_in_the_stacks_postgres(stack: Stack) -> None:
    wait_until(lambda: scheduler_leads(stack), "the scheduler to lead", timeout=20)
    engine = db.make_engine(load_postgres_settings())
    try:
        with engine.connect() as connection:
            ids = connection.exec_driver_sql(f"SELECT id FROM public.{JOBSTORE_TABLE}").scalars().all()
    finally:
        engine.dispose()
    assert "decrease_task_priority" in ids


def test_app_refuses_anonymous_writes_and_writes_nothing(stack: Stack, api: httpx.Client) -> None:
    name = f"live-intruder-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=stack.app_url, timeout=10) as browser:
        page = browser.get("/habits/")
        assert page.status_code == 200 and "Sign in" in page.text
        assert browser.post("/habits/", data={"name": name, "category": "spam"}).status_code == 400
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)
        anonymous = browser.post("/habits/", data={"csrf_token": token, "name": name, "category": "spam"})
        assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/login")
    assert name not in [habit["name"] for habit in api.get("/habits/").json()]
