"""Redis client and the habits-list cache."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

from ichrisbirch.config import RedisSettings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2
HABITS_LIST_KEY = "ichrisbirch:habits:list"
# Writes delete the key; the TTL only bounds staleness if a delete was missed
# because Redis was briefly unreachable.
HABITS_LIST_TTL_SECONDS = 300


def make_redis(settings: RedisSettings) -> redis.Redis:
    return redis.Redis(
        host=settings.host,
        port=settings.port,
        password=settings.password or None,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        decode_responses=True,
    )


def check_redis(client: redis.Redis) -> None:
    """Raise unless Redis answers PING."""
    if not client.ping():
        raise redis.ConnectionError("PING failed")


class HabitsCache:
    """JSON list of habits under one key.  Redis errors never fail a request."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def get(self) -> list[dict[str, Any]] | None:
        try:
            cached = self.client.get(HABITS_LIST_KEY)
        except redis.RedisError as error:
            logger.warning("habits cache read failed: %s", type(error).__name__)
            return None
        return None if cached is None else json.loads(cached)

    def set(self, habits: list[dict[str, Any]]) -> None:
        try:
            self.client.set(HABITS_LIST_KEY, json.dumps(habits), ex=HABITS_LIST_TTL_SECONDS)
        except redis.RedisError as error:
            logger.warning("habits cache write failed: %s", type(error).__name__)

    def invalidate(self) -> None:
        try:
            self.client.delete(HABITS_LIST_KEY)
        except redis.RedisError as error:
            logger.warning("habits cache invalidation failed: %s", type(error).__name__)
