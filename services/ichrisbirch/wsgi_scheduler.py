"""The scheduler service: ``python -m ichrisbirch.wsgi_scheduler``.

Runs APScheduler with its job store in PostgreSQL and serves ``GET /health`` on
SCHEDULER_HEALTH_HOST:SCHEDULER_HEALTH_PORT.  SIGTERM/SIGINT stop it cleanly
(running jobs finish) with exit code 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from ichrisbirch import db, jobs
from ichrisbirch.config import load_scheduler_settings, settings_or_exit
from ichrisbirch.logs import configure_logging

logger = logging.getLogger("ichrisbirch.wsgi_scheduler")


def main() -> int:
    settings = settings_or_exit(load_scheduler_settings)
    configure_logging(settings.log_level)

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    engine = db.make_engine(settings.postgres)
    jobs.set_job_engine(engine)
    jobstore_engine = db.make_engine(settings.postgres, future=False)
    jobstore = jobs.make_jobstore(jobstore_engine)
    # The tasks table (shared with the api) and the job store table, under the schema lock.
    db.create_schema_when_ready(engine, jobstore.jobs_t)
    scheduler = jobs.build_scheduler(settings, jobstore)

    server = jobs.make_health_server(settings.health_host, settings.health_port, scheduler, jobstore_engine)
    server_thread = threading.Thread(target=server.serve_forever, name="health", daemon=True)
    scheduler.start()
    server_thread.start()
    logger.info(
        "scheduler running; health on http://%s:%d/health", settings.health_host, settings.health_port
    )

    stop.wait()
    server.shutdown()
    server.server_close()
    scheduler.shutdown(wait=True)  # also disposes the job store engine
    engine.dispose()
    logger.info("scheduler stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
