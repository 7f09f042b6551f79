"""``/habits/`` CRUD (table ``habits.habits``) with a Redis-cached list.

The endpoints are async: the list's cache hit is one Redis GET on the event
loop, sending the cached bytes as they are.  Database work (SQLAlchemy 1.4 has
no async psycopg dialect) runs in the thread pool.

The list's ETag is the data generation its rows were read at (every write bumps
it in its own transaction), so ``If-None-Match`` with the current generation is
answered ``304`` without a body: the app keeps the list it rendered last.
"""

from __future__ import annotations

import json
from typing import Any, Callable, TypeVar

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from ichrisbirch.api.deps import get_habits_cache, get_or_404
from ichrisbirch.cache import CacheUnavailable, HabitsCache
from ichrisbirch.models import CacheGeneration, Habit
from ichrisbirch.schemas import HabitCreate, HabitOut, HabitUpdate

router = APIRouter(prefix="/habits", tags=["habits"])
T = TypeVar("T")

GENERATION = "habits"
READ_GENERATION = text("SELECT coalesce(max(generation), 0) FROM public.cache_generations WHERE name = :name")


def bump_generation(session: Session) -> None:
    """In the write's transaction: the cached list's generation moves with the data."""
    upsert = insert(CacheGeneration).values(name=GENERATION, generation=1)
    session.execute(upsert.on_conflict_do_update(
        index_elements=[CacheGeneration.name], set_={"generation": CacheGeneration.generation + 1}))


def read_generation(session: Session) -> int:
    return session.execute(READ_GENERATION, {"name": GENERATION}).scalar_one()


def render(payload: Any) -> bytes:
    """JSON exactly as FastAPI's JSONResponse renders it."""
    return json.dumps(jsonable_encoder(payload), ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode("utf-8")


def load_list(sessions: sessionmaker) -> tuple[int, bytes]:
    """The generation first, then the rows: a write between the two makes the entry look older, never newer."""
    with sessions() as session:
        generation = read_generation(session)
        habits = session.execute(select(Habit).order_by(Habit.id)).scalars().all()
        return generation, render([HabitOut.from_orm(habit) for habit in habits])


def current_generation(sessions: sessionmaker) -> int:
    with sessions() as session:
        return read_generation(session)


def etag(generation: int) -> str:
    return f'"g{generation}"'


def holds(request: Request, tag: str) -> bool:
    """``If-None-Match`` names ``tag`` (weak comparison, RFC 9110 13.1.2) or is ``*``."""
    given = request.headers.get("if-none-match")
    if given is None:
        return False
    return any(t == "*" or t.removeprefix("W/") == tag for t in (t.strip() for t in given.split(",")))


def list_response(request: Request, generation: int, body: bytes, cache: str) -> Response:
    """The list, or 304 when the client already holds this generation's list.  ``no-cache``: revalidate each time."""
    headers = {"X-Cache": cache, "ETag": etag(generation), "Cache-Control": "no-cache"}
    if holds(request, headers["ETag"]):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/", response_model=list[HabitOut])
async def list_habits(request: Request, cache: HabitsCache = Depends(get_habits_cache)) -> Response:
    sessions: sessionmaker = request.app.state.sessions
    try:
        entry = await cache.get()
    except CacheUnavailable:
        return list_response(request, *await run_in_threadpool(load_list, sessions), "bypass")
    if entry is not None:
        if entry.trusted:
            return list_response(request, entry.generation, entry.body, "hit")
        if entry.generation == await run_in_threadpool(current_generation, sessions):
            cache.verified()
            return list_response(request, entry.generation, entry.body, "hit")
    generation, body = await run_in_threadpool(load_list, sessions)
    await cache.set(generation, body)
    return list_response(request, generation, body, "miss")


async def write(request: Request, cache: HabitsCache, work: Callable[[Session], T]) -> T:
    """``work`` in a transaction that also bumps the generation; then the cached list is deleted."""

    def run() -> T:
        with request.app.state.sessions() as session:
            result = work(session)
            bump_generation(session)
            session.commit()
            return result

    result = await run_in_threadpool(run)
    await cache.invalidate()
    return result


@router.post("/", response_model=HabitOut, status_code=status.HTTP_201_CREATED)
async def create_habit(body: HabitCreate, request: Request, cache: HabitsCache = Depends(get_habits_cache)) -> Habit:
    def add(session: Session) -> Habit:
        habit = Habit(**body.dict())
        session.add(habit)
        session.flush()
        session.refresh(habit)  # server defaults (created_at), read before the session closes
        return habit

    return await write(request, cache, add)


@router.get("/{habit_id}/", response_model=HabitOut)
def get_habit(habit_id: int, request: Request) -> Habit:
    with request.app.state.sessions() as session:
        return get_or_404(session, Habit, habit_id)


@router.patch("/{habit_id}/", response_model=HabitOut)
async def update_habit(
    habit_id: int, body: HabitUpdate, request: Request, cache: HabitsCache = Depends(get_habits_cache)
) -> Habit:
    def change(session: Session) -> Habit:
        habit = get_or_404(session, Habit, habit_id)
        for field, value in body.dict(exclude_unset=True).items():
            setattr(habit, field, value)
        return habit

    return await write(request, cache, change)


@router.delete("/{habit_id}/", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_habit(habit_id: int, request: Request, cache: HabitsCache = Depends(get_habits_cache)) -> Response:
    await write(request, cache, lambda session: session.delete(get_or_404(session, Habit, habit_id)))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
