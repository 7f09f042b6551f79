"""The physical limit of the api's cached ``GET /habits/``: FastAPI sending the same cached bytes from Redis.

The benchmark serves it with the api's own server command (same server, workers and settings; only the
application is swapped), in B's environment, after B's api has filled the cache.
"""

from __future__ import annotations

import os

import redis.asyncio as aioredis
from fastapi import FastAPI, Response

KEY = "ichrisbirch:habits:list"  # the api's cache key; the value is b"<generation>\n<json>"

client = aioredis.Redis(host=os.environ.get("REDIS_HOST", "localhost"), port=int(os.environ.get("REDIS_PORT", "6379")),
                        password=os.environ.get("REDIS_PASSWORD") or None)
api = FastAPI()


@api.get("/habits/")
async def habits() -> Response:
    raw = await client.get(KEY) or b"0\n[]"
    return Response(raw.partition(b"\n")[2], media_type="application/json")


@api.get("/health")
async def health() -> dict:
    return {"status": "healthy"}
