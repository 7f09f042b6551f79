"""Pydantic (v1) request and response models of the api."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, conint, constr, validator

Name = constr(strip_whitespace=True, min_length=1, max_length=200)
Category = constr(strip_whitespace=True, min_length=1, max_length=100)
Priority = conint(ge=1)


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null")
    return value


class HabitCreate(BaseModel):
    name: Name  # type: ignore[valid-type]
    category: Category  # type: ignore[valid-type]
    is_current: bool = True


class HabitUpdate(BaseModel):
    name: Optional[Name] = None  # type: ignore[valid-type]
    category: Optional[Category] = None  # type: ignore[valid-type]
    is_current: Optional[bool] = None

    _no_nulls = validator("name", "category", "is_current", pre=True, allow_reuse=True)(_not_null)


class HabitOut(BaseModel):
    id: int
    name: str
    category: str
    is_current: bool
    created_at: datetime

    class Config:
        orm_mode = True


class TaskCreate(BaseModel):
    name: Name  # type: ignore[valid-type]
    priority: Priority  # type: ignore[valid-type]
    add_date: Optional[datetime] = None  # default: now (server side)
    complete_date: Optional[datetime] = None


class TaskUpdate(BaseModel):
    name: Optional[Name] = None  # type: ignore[valid-type]
    priority: Optional[Priority] = None  # type: ignore[valid-type]
    add_date: Optional[datetime] = None
    complete_date: Optional[datetime] = None  # null marks the task incomplete again

    _no_nulls = validator("name", "priority", "add_date", pre=True, allow_reuse=True)(_not_null)


class TaskOut(BaseModel):
    id: int
    name: str
    priority: int
    add_date: datetime
    complete_date: Optional[datetime]

    class Config:
        orm_mode = True
