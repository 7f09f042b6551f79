"""The decrease_task_priority job and the scheduler process."""

from __future__ import annotations

import signal
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ichrisbirch.models import Task
from ichrisbirch.jobs import decrease_task_priority, decrease_task_priority_trigger
from tests.servers import ServiceProcess, free_port, wait_until


def add_tasks(engine: Engine, *specs: tuple[int, bool]) -> list[int]:
    """Insert tasks given as (priority, completed); return their ids."""
    now = datetime.now(timezone.utc)
    tasks = [
        Task(name=f"t-{uuid.uuid4().hex[:8]}", priority=priority, complete_date=now if completed else None)
        for priority, completed in specs
    ]
    with Session(engine) as session:
        session.add_all(tasks)
        session.commit()
        return [task.id for task in tasks]


def priorities(engine: Engine, ids: list[int]) -> list[int]:
    with Session(engine) as session:
        rows = dict(session.execute(select(Task.id, Task.priority).where(Task.id.in_(ids))).all())
    return [rows[task_id] for task_id in ids]


def test_job_lowers_priority_of_incomplete_tasks_only(engine: Engine) -> None:
    ids = add_tasks(engine, (5, False), (2, False), (1, False), (5, True))
    assert decrease_task_priority(engine) >= 2
    assert priorities(engine, ids) == [4, 1, 1, 5]  # 1 is the floor; completed untouched


def test_trigger_is_cron_at_one_unless_interval_given() -> None:
    cron = decrease_task_priority_trigger(None)
    assert isinstance(cron, CronTrigger)
    assert {f.name: str(f) for f in cron.fields}["hour"] == "1"
    assert {f.name: str(f) for f in cron.fields}["minute"] == "0"
    interval = decrease_task_priority_trigger(7)
    assert isinstance(interval, IntervalTrigger) and interval.interval.total_seconds() == 7


def test_scheduler_process_runs_job_serves_health_and_stops_on_sigterm(
    engine: Engine, postgres_env: dict[str, str], log_dir: Path
) -> None:
    (task_id,) = add_tasks(engine, (50, False))
    port = free_port()
    env = {
        "ENVIRONMENT": "testing", **postgres_env,
        "SCHEDULER_HEALTH_HOST": "127.0.0.1", "SCHEDULER_HEALTH_PORT": str(port),
        "SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS": "1",
    }
    scheduler = ServiceProcess(["-m", "ichrisbirch.wsgi_scheduler"], env, log_dir, "scheduler")
    try:
        scheduler.wait_http(f"http://127.0.0.1:{port}/health")
        health = wait_until(lambda: (h := httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json())["role"] == "leader" and h,
                            "the only scheduler to lead")
        assert health["status"] == "healthy" and health["scheduler"] == "running"
        assert [job["id"] for job in health["jobs"]] == ["decrease_task_priority"]
        assert health["jobs"][0]["next_run_time"]

        wait_until(lambda: priorities(engine, [task_id])[0] <= 48, "two runs of the job", timeout=20)
    finally:
        returncode = scheduler.stop(signal.SIGTERM)
    assert returncode == 0, scheduler.log()
    log = scheduler.log()
    assert "received SIGTERM" in log and "scheduler stopped" in log
    assert postgres_env["POSTGRES_PASSWORD"] not in log


def test_health_report_503_when_stopped_or_jobstore_unreachable(postgres_env: dict[str, str]) -> None:
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from ichrisbirch import db
    from ichrisbirch.config import load_postgres_settings
    from ichrisbirch.jobs import health_report

    dead_engine = db.make_engine(load_postgres_settings({**postgres_env, "POSTGRES_PORT": str(free_port())}),
                                 future=False)
    scheduler = BackgroundScheduler(jobstores={"default": MemoryJobStore()})
    assert health_report(scheduler, dead_engine, "standby") == (
        503, {"status": "unhealthy", "role": "standby", "scheduler": "stopped"})
    scheduler.start(paused=True)
    try:
        status, body = health_report(scheduler, dead_engine, "leader")
    finally:
        scheduler.shutdown()
    assert status == 503 and body["jobstore"] == "error: OperationalError"
