"""The scheduler service: ``python -m ichrisbirch.wsgi_scheduler``.

Runs APScheduler with its job store in PostgreSQL and serves ``GET /health`` on
SCHEDULER_HEALTH_HOST:SCHEDULER_HEALTH_PORT (its ``role``: leader or standby).
Only the instance holding the scheduler lock runs jobs (:mod:`ichrisbirch.leader`),
however many run.  SIGTERM/SIGINT stop it cleanly (running jobs finish, then the
lock is released) with exit code 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from ichrisbirch import db, jobs
from ichrisbirch.leader import ElectionTiming, LeaderElection
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
    scheduler = jobs.build_scheduler(jobstore)
    scheduler.start(paused=True)  # a standby until elected
    election = LeaderElection(
        settings.postgres, on_elected=lambda: jobs.lead(scheduler, settings), on_deposed=scheduler.pause,
        timing=ElectionTiming(check_seconds=settings.leader_check_seconds),
    )
    jobs.set_job_fence(election.fence)

    server = jobs.make_health_server(
        settings.health_host, settings.health_port, scheduler, jobstore_engine, lambda: election.role
    )
    server_thread = threading.Thread(target=server.serve_forever, name="health", daemon=True)
    server_thread.start()
    election.start()
    logger.info(
        "scheduler running (standby until it holds the scheduler lock); health on http://%s:%d/health",
        settings.health_host, settings.health_port,
    )

    stop.wait()
    server.shutdown()
    server.server_close()
    election.stop()
    scheduler.shutdown(wait=True)  # running jobs finish (also disposes the job store engine)
    election.release()  # only now may a standby take over
    engine.dispose()
    logger.info("scheduler stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
