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
from typing import Any, Callable

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ichrisbirch import db
from ichrisbirch.config import SchedulerSettings, load_postgres_settings

logger = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
DECREASE_TASK_PRIORITY_SQL = text(
    "UPDATE public.tasks SET priority = priority - 1 WHERE complete_date IS NULL AND priority > 1"
)

_job_engine: Engine | None = None
_job_engine_lock = threading.Lock()
# Set by the scheduler process: raises unless this instance holds the scheduler lock (ichrisbirch.leader).
_job_fence: Callable[[Connection], None] | None = None


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


def set_job_fence(fence: Callable[[Connection], None] | None) -> None:
    """Every job checks ``fence`` in its own transaction before it changes anything."""
    global _job_fence
    _job_fence = fence


def decrease_task_priority(engine: Engine | None = None) -> int:
    """Lower by one the priority of every incomplete task whose priority is above 1.

    Priority 1 is the floor (most urgent); completed tasks are left alone.
    Returns the number of tasks changed.
    """
    with (engine or job_engine()).begin() as connection:
        if _job_fence is not None:
            _job_fence(connection)
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


def build_scheduler(jobstore: SQLAlchemyJobStore) -> BackgroundScheduler:
    """The scheduler, without jobs: the elected leader adds them (:func:`lead`)."""
    scheduler = BackgroundScheduler(
        jobstores={"default": jobstore},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="UTC",
    )
    scheduler.add_listener(_log_run, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return scheduler


def _log_run(event: JobExecutionEvent) -> None:
    scheduled = event.scheduled_run_time.isoformat()
    if event.exception is None:
        logger.info("job %s ran (scheduled %s)", event.job_id, scheduled)
    else:
        logger.warning("job %s did not run (scheduled %s): %s", event.job_id, scheduled, type(event.exception).__name__)


def lead(scheduler: BackgroundScheduler, settings: SchedulerSettings) -> None:
    """Become the one instance that runs jobs: store the jobs (keeping a stored run time) and resume."""
    trigger = decrease_task_priority_trigger(settings.decrease_task_priority_seconds)
    stored = scheduler.get_job("decrease_task_priority")
    # The same schedule keeps its stored next run, so a run missed during a handover still runs (misfire grace).
    if stored is None or str(stored.trigger) != str(trigger):
        scheduler.add_job(
            decrease_task_priority,
            trigger=trigger,
            id="decrease_task_priority",
            name="decrease_task_priority",
            replace_existing=True,
        )
    scheduler.resume()


def health_report(scheduler: BackgroundScheduler, jobstore_engine: Engine, role: str) -> tuple[int, dict[str, Any]]:
    """Healthy as leader or standby (a standby runs nothing, by design); 503 when stopped or the job store is unreachable."""
    if not scheduler.running:
        return 503, {"status": "unhealthy", "role": role, "scheduler": "stopped"}
    try:
        with jobstore_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        jobs = [
            {"id": job.id, "next_run_time": _iso(job.next_run_time)} for job in scheduler.get_jobs()
        ]
    except Exception as error:  # the class name is the report; messages may hold hosts
        return 503, {"status": "unhealthy", "role": role, "scheduler": "running", "jobstore": f"error: {type(error).__name__}"}
    state = "running" if scheduler.state == STATE_RUNNING else "paused"
    return 200, {"status": "healthy", "role": role, "scheduler": state, "jobs": jobs}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def make_health_server(
    host: str, port: int, scheduler: BackgroundScheduler, jobstore_engine: Engine, role: Callable[[], str]
) -> ThreadingHTTPServer:
    class HealthHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path.split("?")[0] != "/health":
                status, body = 404, {"detail": "not found"}
            else:
                status, body = health_report(scheduler, jobstore_engine, role())
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
