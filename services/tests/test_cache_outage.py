"""The habits list while Redis is down, and after it comes back with a list it should have forgotten.

Redis here persists with AOF like the Development one, so a key that a failed
invalidation could not delete survives the restart.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import redis

from ichrisbirch.cache import HABITS_LIST_KEY, encode
from tests.servers import API_SECRET_KEY, RedisServer, start_api, stop_process, wait_until


class PersistentRedis(RedisServer):
    """RedisServer with AOF (fsync always) that can be killed and started again on the same port and data."""

    persistence = 'save ""\nappendonly yes\nappendfsync always\n'

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password, socket_timeout=2)

    def persisted(self, key: str) -> bool:
        """Whether the AOF on disk (what a restart loads) holds a command on ``key``."""
        return any(key.encode() in path.read_bytes() for path in self.dir.rglob("*.aof*") if path.is_file())

    def kill(self) -> None:
        stop_process(self.process, signal.SIGKILL)

    def restart(self) -> None:
        self.start()


@pytest.fixture()
def outage_redis() -> Iterator[PersistentRedis]:
    server = PersistentRedis().start()
    yield server
    server.stop()


@pytest.fixture()
def outage_api(service_env: dict[str, str], outage_redis: PersistentRedis, log_dir: Path) -> Iterator[httpx.Client]:
    process, url = start_api({**service_env, **outage_redis.env()}, log_dir, "api-redis-outage")
    with httpx.Client(base_url=url, headers={"X-API-Key": API_SECRET_KEY}, timeout=10) as client:
        yield client
    process.stop()


def names(response: httpx.Response) -> set[str]:
    return {habit["name"] for habit in response.json()}


def test_reads_bypass_and_writes_succeed_while_redis_is_down_and_the_first_read_after_shows_them(
    outage_api: httpx.Client, outage_redis: PersistentRedis
) -> None:
    before = outage_api.post("/habits/", json={"name": "outage-before", "category": "c"}).json()
    outage_api.get("/habits/")
    assert outage_api.get("/habits/").headers["X-Cache"] == "hit"

    outage_redis.kill()
    down = outage_api.get("/habits/")
    assert (down.status_code, down.headers["X-Cache"]) == (200, "bypass")
    assert "outage-before" in names(down)
    created = outage_api.post("/habits/", json={"name": "outage-during", "category": "c"})
    renamed = outage_api.patch(f"/habits/{before['id']}/", json={"name": "outage-renamed"})
    assert (created.status_code, renamed.status_code) == (201, 200)
    assert {"outage-during", "outage-renamed"} <= names(outage_api.get("/habits/"))

    assert outage_redis.persisted(HABITS_LIST_KEY)  # the list cached before the outage comes back with Redis
    outage_redis.restart()
    first = outage_api.get("/habits/")
    assert {"outage-during", "outage-renamed"} <= names(first) and "outage-before" not in names(first)
    cached = wait_until(lambda: (r := outage_api.get("/habits/")).headers["X-Cache"] == "hit" and r, "a cache hit again")
    assert cached.json() == first.json()
    for habit in (before, created.json()):
        outage_api.delete(f"/habits/{habit['id']}/")


def test_a_cached_list_older_than_the_database_is_not_served_on_a_new_connection(
    outage_api: httpx.Client, outage_redis: PersistentRedis
) -> None:
    """What a restarted Redis holds when a delete missed it: a list from an older generation."""
    habit = outage_api.post("/habits/", json={"name": "generation-check", "category": "c"}).json()
    outage_redis.client().set(HABITS_LIST_KEY, encode(0, b"[]"))
    outage_redis.kill()
    outage_redis.restart()  # every connection of the api is new after this
    assert outage_redis.client().get(HABITS_LIST_KEY) == encode(0, b"[]")
    wait_until(lambda: outage_api.get("/health").status_code == 200, "api healthy again")

    response = outage_api.get("/habits/")
    assert response.headers["X-Cache"] == "miss"
    assert "generation-check" in names(response)
    assert outage_api.get("/habits/").headers["X-Cache"] == "hit"
    outage_api.delete(f"/habits/{habit['id']}/")


def test_health_goes_degraded_while_redis_is_down_and_healthy_when_it_is_back(
    outage_api: httpx.Client, outage_redis: PersistentRedis
) -> None:
    assert outage_api.get("/health").json()["status"] == "healthy"
    outage_redis.kill()
    down = outage_api.get("/health")
    assert (down.status_code, down.json()["status"], down.json()["postgres"]) == (200, "degraded", "ok")
    outage_redis.restart()
    wait_until(lambda: outage_api.get("/health").json()["status"] == "healthy", "api healthy again")
