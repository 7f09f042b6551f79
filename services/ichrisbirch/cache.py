"""Async Redis client and the habits-list cache.

The cache holds the list's response bytes, prefixed with the data generation
they were read at (``b"<generation>\\n<json>"``): a hit sends the bytes as they
are.  Every habit write bumps the generation in PostgreSQL, in its own
transaction, then deletes the key.  If the delete cannot reach Redis, the entry
it should have removed may survive (Redis persists it with AOF across a
restart).  Such an entry can only be read over a connection opened after the
failure: every process counts the Redis connections it opens, and the first hit
after a new connection compares the entry's generation with PostgreSQL's before
trusting it.  So the hit path costs one GET; the check costs one small query per
reconnect.  A process whose delete failed also retries it in the background.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ichrisbirch.config import RedisSettings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2
HABITS_LIST_KEY = "ichrisbirch:habits:list"
# Writes delete the key; the TTL only bounds how long a missed delete can matter.
HABITS_LIST_TTL_SECONDS = 300
# After a Redis error, requests skip Redis for this long instead of each waiting for it.
BACKOFF_SECONDS = 0.5
RETRY_INTERVAL_SECONDS = 0.5


class ConnectCounter:
    """How many Redis connections this process has opened (a new one may see a Redis that missed deletes)."""

    def __init__(self) -> None:
        self.count = 0


def make_redis(settings: RedisSettings) -> aioredis.Redis:
    """One pooled async client per process; ``client.connects`` counts the connections it opened."""
    counter = ConnectCounter()

    class CountingConnection(aioredis.Connection):
        async def on_connect(self) -> None:
            await super().on_connect()
            counter.count += 1

    pool = aioredis.ConnectionPool(
        connection_class=CountingConnection,
        host=settings.host,
        port=settings.port,
        password=settings.password or None,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
    )
    client = aioredis.Redis(connection_pool=pool)
    client.connects = counter  # type: ignore[attr-defined]
    return client


async def check_redis(client: aioredis.Redis) -> None:
    """Raise unless Redis answers PING."""
    if not await client.ping():
        raise aioredis.ConnectionError("PING failed")


class CacheUnavailable(Exception):
    """Redis could not be asked: serve from PostgreSQL (``X-Cache: bypass``)."""


@dataclass(frozen=True)
class Entry:
    generation: int
    body: bytes
    trusted: bool  # no connection opened since this process last checked an entry against PostgreSQL


def encode(generation: int, body: bytes) -> bytes:
    return b"%d\n%s" % (generation, body)


def decode(raw: bytes) -> tuple[int, bytes] | None:
    head, sep, body = raw.partition(b"\n")
    return (int(head), body) if sep and head.isdigit() else None


class HabitsCache:
    """The habits list's bytes under one key.  Redis errors never fail a request."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self.connects: ConnectCounter = client.connects  # type: ignore[attr-defined]
        self.verified_at = 0  # connects.count when an entry last matched PostgreSQL
        self.skip_until = 0.0
        self.retry: asyncio.Task | None = None

    def _failed(self, what: str, error: Exception) -> None:
        self.skip_until = time.monotonic() + BACKOFF_SECONDS
        logger.warning("habits cache %s failed: %s", what, type(error).__name__)

    async def get(self) -> Entry | None:
        """The cached entry, None on a miss; raises :class:`CacheUnavailable` while Redis is unreachable."""
        if time.monotonic() < self.skip_until:
            raise CacheUnavailable()
        try:
            raw = await self.client.get(HABITS_LIST_KEY)
        except RedisError as error:
            self._failed("read", error)
            raise CacheUnavailable() from None
        decoded = None if raw is None else decode(raw)
        if decoded is None:
            return None
        return Entry(decoded[0], decoded[1], trusted=self.verified_at == self.connects.count)

    def verified(self) -> None:
        """An entry read just now matched PostgreSQL: trust hits until the next new connection."""
        self.verified_at = self.connects.count

    async def set(self, generation: int, body: bytes) -> None:
        seen = self.connects.count
        try:
            await self.client.set(HABITS_LIST_KEY, encode(generation, body), ex=HABITS_LIST_TTL_SECONDS)
        except RedisError as error:
            self._failed("write", error)
            return
        self.verified_at = seen  # what is in Redis now came from PostgreSQL

    async def invalidate(self) -> None:
        if time.monotonic() >= self.skip_until:
            try:
                await self.client.delete(HABITS_LIST_KEY)
                return
            except RedisError as error:
                self._failed("invalidation", error)
        if self.retry is None or self.retry.done():
            self.retry = asyncio.get_running_loop().create_task(self._retry_invalidate())

    async def _retry_invalidate(self) -> None:
        """Delete the key as soon as Redis answers again (bounded by the entry's TTL)."""
        deadline = time.monotonic() + HABITS_LIST_TTL_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(RETRY_INTERVAL_SECONDS)
            try:
                await self.client.delete(HABITS_LIST_KEY)
            except RedisError:
                continue
            logger.info("habits cache invalidated after Redis came back")
            return

    async def close(self) -> None:
        if self.retry is not None:
            self.retry.cancel()
        await self.client.close()
        await self.client.connection_pool.disconnect()
