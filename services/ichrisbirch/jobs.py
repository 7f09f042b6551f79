"""APScheduler jobs, the scheduler with its PostgreSQL job store, and its health server.

Jobs are module-level functions without arguments: the job store pickles a
reference (``ichrisbirch.jobs:decrease_task_priority``), never an engine or
a password.  They get their engine from :func:`job_engine`.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ichrisbirch import db
from ichrisbirch.config import SchedulerSettings, load_postgres_settings

logger = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
DECREASE_TASK_PRIORITY_SQL = text(
    "UPDATE public.tasks SET priority = priority - 1 WHERE complete_date IS NULL AND priority > 1"
)

_job_engine: Engine | None = None
_job_engine_lock = threading.Lock()


def job_engine() -> Engine:
    """The engine jobs use: set by :func:`run`, else built from the environment."""
    global _job_engine
    with _job_engine_lock:
        if _job_engine is None:
            _job_engine = db.make_engine(load_postgres_settings())
        return _job_engine


def set_job_engine(engine: Engine | None) -> None:
    global _job_engine
    with _job_engine_lock:
        _job_engine = engine


def decrease_task_priority(engine: Engine | None = None) -> int:
    """Lower by one the priority of every incomplete task whose priority is above 1.

    Priority 1 is the floor (most urgent); completed tasks are left alone.
    Returns the number of tasks changed.
    """
    with (engine or job_engine()).begin() as connection:
        changed = connection.execute(DECREASE_TASK_PRIORITY_SQL).rowcount
    logger.info("decrease_task_priority: %d task(s) changed", changed)
    return changed


def decrease_task_priority_trigger(interval_seconds: int | None) -> BaseTrigger:
    if interval_seconds:
        return IntervalTrigger(seconds=interval_seconds)
    return CronTrigger(hour=1, minute=0)


def make_jobstore(jobstore_engine: Engine) -> SQLAlchemyJobStore:
    """``jobstore_engine`` must be a legacy (``future=False``) engine: APScheduler 3.9's
    job store calls ``Engine.execute()``."""
    return SQLAlchemyJobStore(engine=jobstore_engine, tablename=JOBSTORE_TABLE)


def build_scheduler(settings: SchedulerSettings, jobstore: SQLAlchemyJobStore) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        jobstores={"default": jobstore},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="UTC",
    )
    scheduler.add_job(
        decrease_task_priority,
        trigger=decrease_task_priority_trigger(settings.decrease_task_priority_seconds),
        id="decrease_task_priority",
        name="decrease_task_priority",
        replace_existing=True,
    )
    return scheduler


def health_report(scheduler: BackgroundScheduler, jobstore_engine: Engine) -> tuple[int, dict[str, Any]]:
    if not scheduler.running:
        return 503, {"status": "unhealthy", "scheduler": "stopped"}
    try:
        with jobstore_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        jobs = [
            {"id": job.id, "next_run_time": _iso(job.next_run_time)} for job in scheduler.get_jobs()
        ]
    except Exception as error:  # the class name is the report; messages may hold hosts
        return 503, {"status": "unhealthy", "scheduler": "running", "jobstore": f"error: {type(error).__name__}"}
    return 200, {"status": "healthy", "scheduler": "running", "jobs": jobs}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def make_health_server(
    host: str, port: int, scheduler: BackgroundScheduler, jobstore_engine: Engine
) -> ThreadingHTTPServer:
    class HealthHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path.split("?")[0] != "/health":
                status, body = 404, {"detail": "not found"}
            else:
                status, body = health_report(scheduler, jobstore_engine)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            logger.debug("health %s", format % args)

    server = ThreadingHTTPServer((host, port), HealthHandler)
    server.daemon_threads = True
    return server
