"""The FastAPI application factory."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI

from ichrisbirch import cache, db
from ichrisbirch.api import habits, server, sign_in, tasks
from ichrisbirch.api.deps import require_api_key_for_writes
from ichrisbirch.config import ApiSettings

logger = logging.getLogger(__name__)


def create_api(settings: ApiSettings) -> FastAPI:
    api = FastAPI(title="ichrisbirch api", dependencies=[Depends(require_api_key_for_writes)])
    engine = db.make_engine(settings.postgres)
    redis_client = cache.make_redis(settings.redis)
    api.state.settings = settings
    api.state.engine = engine
    api.state.sessions = db.session_factory(engine)
    api.state.redis = redis_client
    api.state.habits_cache = cache.HabitsCache(redis_client)

    @api.on_event("startup")
    def create_schema() -> None:
        db.create_schema_when_ready(engine)
        logger.info("api ready (environment=%s)", settings.environment)

    @api.on_event("shutdown")
    async def close_connections() -> None:
        engine.dispose()
        await api.state.habits_cache.close()

    api.include_router(server.router)
    api.include_router(habits.router)
    api.include_router(tasks.router)
    api.include_router(sign_in.router)
    return api
