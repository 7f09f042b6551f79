"""One scheduler, whatever the replica count: real scheduler processes against one PostgreSQL."""

from __future__ import annotations

import re
import signal
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import httpx
import psycopg

from ichrisbirch.config import load_postgres_settings
from ichrisbirch.leader import LOCK_KEY, ElectionTiming, LeaderElection
from tests.servers import ServiceProcess, free_port, wait_until

RAN = re.compile(r"^(\S+ \S+) INFO ichrisbirch\.jobs: job decrease_task_priority ran \(scheduled (\S+)\)$", re.M)
DEPOSED = re.compile(r"^(\S+ \S+) WARNING ichrisbirch\.leader: lost the scheduler lock", re.M)
HANDOVER_BOUND = 15.0


class Scheduler:
    """A scheduler process with a 1 s job interval and its health port."""

    def __init__(self, postgres_env: dict[str, str], log_dir: Path, name: str) -> None:
        self.port = free_port()
        env = {"ENVIRONMENT": "testing", **postgres_env, "SCHEDULER_HEALTH_PORT": str(self.port),
               "SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS": "1", "SCHEDULER_LEADER_CHECK_SECONDS": "1"}
        self.name = name
        self.process = ServiceProcess(["-m", "ichrisbirch.wsgi_scheduler"], env, log_dir, name)

    def health(self) -> dict:
        response = httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=5)
        assert response.status_code == 200, response.text  # leader or standby: healthy
        return response.json()

    def role(self) -> str | None:
        try:
            return self.health()["role"]
        except httpx.TransportError:
            return None

    def runs(self) -> list[tuple[datetime, str]]:
        """(when it logged the run, the run's scheduled time) of every job run."""
        return [(_when(logged), scheduled) for logged, scheduled in RAN.findall(self.process.log_path.read_text())]

    def deposed_at(self) -> datetime | None:
        found = DEPOSED.findall(self.process.log_path.read_text())
        return _when(found[0]) if found else None


def _when(logged: str) -> datetime:
    return datetime.strptime(logged, "%Y-%m-%d %H:%M:%S,%f")


@contextmanager
def two_schedulers(postgres_env: dict[str, str], log_dir: Path, test: str) -> Iterator[tuple[Scheduler, Scheduler]]:
    """Two schedulers; yields (leader, standby) once one leads and has run a job."""
    a, b = Scheduler(postgres_env, log_dir, f"{test}-a"), Scheduler(postgres_env, log_dir, f"{test}-b")
    try:
        leader = wait_until(lambda: next((s for s in (a, b) if s.role() == "leader" and s.runs()), None),
                            "one scheduler to lead and run a job", timeout=30)
        standby = b if leader is a else a
        yield leader, standby
    finally:
        for scheduler in (a, b):
            scheduler.process.stop()


def assert_each_run_once(*schedulers: Scheduler) -> list[str]:
    scheduled = [when for s in schedulers for _, when in s.runs()]
    twice = sorted({when for when in scheduled if scheduled.count(when) > 1})
    assert not twice, f"runs scheduled for {twice} ran more than once"
    return scheduled


def test_two_schedulers_run_each_job_once_one_leads_and_the_standby_is_healthy(
    postgres_env: dict[str, str], log_dir: Path
) -> None:
    with two_schedulers(postgres_env, log_dir, "pair") as (leader, standby):
        time.sleep(6)  # several job intervals with both running
        assert (leader.health()["role"], leader.health()["scheduler"]) == ("leader", "running")
        assert (standby.health()["role"], standby.health()["scheduler"], standby.health()["status"]) == (
            "standby", "paused", "healthy")
        assert standby.runs() == []
        assert len(assert_each_run_once(leader, standby)) >= 4


def test_sigkill_of_the_leader_hands_over_within_15_s(postgres_env: dict[str, str], log_dir: Path) -> None:
    with two_schedulers(postgres_env, log_dir, "kill") as (leader, standby):
        leader.process.stop(signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: standby.role() == "leader" and standby.runs(), "the standby to lead and run a job",
                   timeout=HANDOVER_BOUND)
        print(f"SIGKILL -> standby ran a job: {time.monotonic() - killed:.1f} s")
        assert_each_run_once(leader, standby)


def test_a_leader_whose_lock_session_ends_stops_running_jobs_before_the_standby_runs_any(
    postgres_env: dict[str, str], log_dir: Path
) -> None:
    started = time.monotonic()
    with two_schedulers(postgres_env, log_dir, "terminate") as (leader, standby):
        with psycopg.connect(host=postgres_env["POSTGRES_HOST"], port=postgres_env["POSTGRES_PORT"],
                             dbname=postgres_env["POSTGRES_DB"], user=postgres_env["POSTGRES_USERNAME"],
                             password=postgres_env["POSTGRES_PASSWORD"], autocommit=True) as admin:
            terminated = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
                (LOCK_KEY,)).fetchall()
        assert terminated == [(True,)]
        wait_until(lambda: standby.role() == "leader" and standby.runs(), "the standby to lead and run a job",
                   timeout=HANDOVER_BOUND)
        time.sleep(max(0.0, 60 - (time.monotonic() - started)))  # both keep running: 60 s in all

        assert leader.process.process.poll() is None and leader.health()["role"] == "standby"  # alive, runs nothing
        deposed = leader.deposed_at()
        assert deposed is not None, leader.process.log()
        assert [when for when, _ in leader.runs() if when > deposed] == []
        assert min(when for when, _ in standby.runs()) > deposed
        assert_each_run_once(leader, standby)


def test_health_says_leader_only_once_the_jobs_are_stored(postgres_env: dict[str, str]) -> None:
    """The role /health reports turns to leader after on_elected returns, never while it is storing the jobs."""
    storing, stored = threading.Event(), threading.Event()

    def on_elected() -> None:
        storing.set()
        stored.wait(10)

    election = LeaderElection(load_postgres_settings(postgres_env), on_elected, on_deposed=lambda: None,
                              timing=ElectionTiming(check_seconds=0.1, dead_network_seconds=0))
    election.start()
    try:
        assert storing.wait(10), "never elected"
        assert election.role == "standby"
        stored.set()
        wait_until(lambda: election.role == "leader", "the role to turn to leader", timeout=5)
    finally:
        stored.set()
        election.stop()
        election.release()
