"""``/tasks/`` CRUD (table ``public.tasks``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from ichrisbirch.api.deps import get_or_404, get_session
from ichrisbirch.models import Task
from ichrisbirch.schemas import TaskCreate, TaskOut, TaskUpdate

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("/", response_model=list[TaskOut])
def list_tasks(session: Session = Depends(get_session)) -> list[Task]:
    return list(session.execute(select(Task).order_by(Task.priority, Task.id)).scalars())


@router.post("/", response_model=TaskOut, status_code=status.HTTP_201_CREATED)
def create_task(body: TaskCreate, session: Session = Depends(get_session)) -> Task:
    task = Task(**body.dict(exclude_none=True))  # add_date omitted -> now() in the database
    session.add(task)
    session.commit()
    return task


@router.get("/{task_id}/", response_model=TaskOut)
def get_task(task_id: int, session: Session = Depends(get_session)) -> Task:
    return get_or_404(session, Task, task_id)


@router.patch("/{task_id}/", response_model=TaskOut)
def update_task(task_id: int, body: TaskUpdate, session: Session = Depends(get_session)) -> Task:
    task = get_or_404(session, Task, task_id)
    for field, value in body.dict(exclude_unset=True).items():
        setattr(task, field, value)
    session.commit()
    return task


@router.delete("/{task_id}/", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_task(task_id: int, session: Session = Depends(get_session)) -> Response:
    session.delete(get_or_404(session, Task, task_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
