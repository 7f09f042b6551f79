"""Request dependencies: database session, habits cache and the write API key."""

from __future__ import annotations

import hmac
from typing import Iterator, TypeVar

from fastapi import HTTPException, Request, status
from sqlalchemy.orm import Session

from ichrisbirch.cache import HabitsCache

ModelT = TypeVar("ModelT")

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
API_KEY_HEADER = "X-API-Key"


async def require_api_key_for_writes(request: Request) -> None:
    """Async on purpose: FastAPI runs a sync dependency in the thread pool, two thread hops per request
    that halved the cached list's throughput (BENCHMARKS.md, "Production data path")."""
    if request.method not in WRITE_METHODS:
        return
    expected: str = request.app.state.settings.api_secret_key
    given = request.headers.get(API_KEY_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing or invalid {API_KEY_HEADER} header")


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


async def get_habits_cache(request: Request) -> HabitsCache:
    return request.app.state.habits_cache


def get_or_404(session: Session, model: type[ModelT], row_id: int) -> ModelT:
    """The row with primary key ``row_id``, or 404 naming the model and id."""
    row = session.get(model, row_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{model.__name__.lower()} {row_id} not found")
    return row
