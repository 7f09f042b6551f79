"""``/habits/`` CRUD (table ``habits.habits``) with a Redis-cached list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response, status
from fastapi.encoders import jsonable_encoder
from sqlalchemy import select
from sqlalchemy.orm import Session

from ichrisbirch.api.deps import get_or_404, get_habits_cache, get_session
from ichrisbirch.cache import HabitsCache
from ichrisbirch.models import Habit
from ichrisbirch.schemas import HabitCreate, HabitOut, HabitUpdate

router = APIRouter(prefix="/habits", tags=["habits"])


@router.get("/", response_model=list[HabitOut])
def list_habits(
    response: Response,
    session: Session = Depends(get_session),
    cache: HabitsCache = Depends(get_habits_cache),
) -> list[Any]:
    cached = cache.get()
    if cached is not None:
        response.headers["X-Cache"] = "hit"
        return cached
    habits = session.execute(select(Habit).order_by(Habit.id)).scalars().all()
    payload = jsonable_encoder([HabitOut.from_orm(habit) for habit in habits])
    cache.set(payload)
    response.headers["X-Cache"] = "miss"
    return payload


@router.post("/", response_model=HabitOut, status_code=status.HTTP_201_CREATED)
def create_habit(
    body: HabitCreate,
    session: Session = Depends(get_session),
    cache: HabitsCache = Depends(get_habits_cache),
) -> Habit:
    habit = Habit(**body.dict())
    session.add(habit)
    session.commit()
    cache.invalidate()
    return habit


@router.get("/{habit_id}/", response_model=HabitOut)
def get_habit(habit_id: int, session: Session = Depends(get_session)) -> Habit:
    return get_or_404(session, Habit, habit_id)


@router.patch("/{habit_id}/", response_model=HabitOut)
def update_habit(
    habit_id: int,
    body: HabitUpdate,
    session: Session = Depends(get_session),
    cache: HabitsCache = Depends(get_habits_cache),
) -> Habit:
    habit = get_or_404(session, Habit, habit_id)
    for field, value in body.dict(exclude_unset=True).items():
        setattr(habit, field, value)
    session.commit()
    cache.invalidate()
    return habit


@router.delete("/{habit_id}/", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_habit(
    habit_id: int,
    session: Session = Depends(get_session),
    cache: HabitsCache = Depends(get_habits_cache),
) -> Response:
    session.delete(get_or_404(session, Habit, habit_id))
    session.commit()
    cache.invalidate()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
