"""One scheduler, whatever the replica count: leader election on a PostgreSQL advisory lock.

Every scheduler instance opens one dedicated connection (the *lock session*) and tries
``pg_try_advisory_lock`` on it every ``check_seconds``.  The instance that holds the lock
is the leader and runs the jobs; the others are standbys (healthy, running nothing).

- The lock is session-level: PostgreSQL releases it when the leader's session ends (the
  process dies, its connection closes, or ``pg_terminate_backend``).  The session sets
  server-side TCP keepalives, so a leader on a lost node also loses it within seconds.
- The leader checks its lock session every ``check_seconds``; when the check fails it
  stops running jobs at once (``on_deposed``) and waits before competing again, so a
  standby takes over.
- A standby that gets the lock waits ``takeover_delay`` before it runs anything: by then
  a leader that lost its session while its process lives has noticed and stopped.
- Every job also checks, in its own transaction, that this instance's lock session holds
  the lock (:meth:`LeaderElection.fence`), so no job commits from a deposed leader.

SIGKILL of the leader hands over in about ``2 * check_seconds + dead_network_seconds`` (7 s by default);
a leader on a lost node in about 15 s (8 s of server keepalives, then the same).
"""

from __future__ import annotations

import logging
import threading
import zlib
from dataclasses import dataclass
from typing import Callable

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ichrisbirch.config import PostgresSettings

logger = logging.getLogger(__name__)

LOCK_KEY = zlib.crc32(b"ichrisbirch.scheduler")  # pg_locks: classid 0, objid LOCK_KEY, objsubid 1
LEADER = "leader"
STANDBY = "standby"
STATEMENT_TIMEOUT_MS = 2000
_HOLDS_LOCK = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = {key}"
    " AND objsubid = 1 AND pid = {pid} AND granted)"
)
HOLDS_LOCK_SQL = _HOLDS_LOCK.format(key="%(key)s", pid="%(pid)s")  # psycopg, on the lock session
HOLDS_LOCK_TEXT = text(_HOLDS_LOCK.format(key=":key", pid=":pid"))  # SQLAlchemy, in a job's transaction


class NotLeader(Exception):
    """A job was about to run on an instance that does not hold the scheduler lock."""


@dataclass(frozen=True)
class ElectionTiming:
    check_seconds: float = 1.0  # the leader checks its lock session, a standby tries to take the lock
    connect_timeout_seconds: int = 2
    dead_network_seconds: int = 5  # a check on a dead network fails after this (tcp_user_timeout)

    @property
    def takeover_delay(self) -> float:
        """How long a new holder waits before running jobs: the longest a deposed leader takes to notice."""
        return self.check_seconds + self.dead_network_seconds


class LeaderElection:
    """Runs the election in a thread; ``on_elected`` / ``on_deposed`` start and stop running jobs."""

    def __init__(self, settings: PostgresSettings, on_elected: Callable[[], None], on_deposed: Callable[[], None],
                 timing: ElectionTiming = ElectionTiming()) -> None:
        self.settings, self.timing = settings, timing
        self.on_elected, self.on_deposed = on_elected, on_deposed
        self.role = STANDBY  # what /health reports: leader only once on_elected has stored the jobs
        self._leading = False  # what the loop and the fence go by: set before on_elected, so a job due at once runs
        self._connection: psycopg.Connection | None = None
        self._backend_pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop competing; the lock stays held until :meth:`release` (after the running jobs have finished)."""
        self._stop.set()
        self._thread.join(timeout=10)

    def release(self) -> None:
        self.role, self._leading = STANDBY, False
        self._close()

    def fence(self, connection: Connection) -> None:
        """Raise :class:`NotLeader` unless this instance's lock session holds the lock now (in the job's transaction)."""
        pid = self._backend_pid
        held = self._leading and pid is not None and connection.execute(
            HOLDS_LOCK_TEXT, {"key": LOCK_KEY, "pid": pid}
        ).scalar_one()
        if not held:
            raise NotLeader("this scheduler does not hold the scheduler lock")

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._leading:
                if not self._holds_lock():
                    self._depose()
                    self._stop.wait(self.timing.takeover_delay)  # give a standby the first chance
            elif self._try_lock():
                logger.info("took the scheduler lock; running jobs in %.0f s", self.timing.takeover_delay)
                if self._stop.wait(self.timing.takeover_delay):
                    return
                if self._holds_lock():
                    self._leading = True
                    logger.info("leader: running jobs")
                    self.on_elected()
                    self.role = LEADER
                else:
                    self._close()
            self._stop.wait(self.timing.check_seconds)

    def _depose(self) -> None:
        self.role, self._leading = STANDBY, False
        self.on_deposed()
        logger.warning("lost the scheduler lock (its database session ended): stopped running jobs, standby")
        self._close()

    def _try_lock(self) -> bool:
        try:
            if self._connection is None:
                self._connection = self._connect()
            return bool(self._connection.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0])
        except psycopg.Error as error:
            logger.warning("standby: cannot reach PostgreSQL for the scheduler lock (%s)", type(error).__name__)
            self._close()
            return False

    def _holds_lock(self) -> bool:
        try:
            assert self._connection is not None
            row = self._connection.execute(HOLDS_LOCK_SQL, {"key": LOCK_KEY, "pid": self._backend_pid}).fetchone()
            return bool(row and row[0])
        except (psycopg.Error, AssertionError):
            return False

    def _connect(self) -> psycopg.Connection:
        s = self.settings
        connection = psycopg.connect(
            host=s.host, port=s.port, dbname=s.db, user=s.username, password=s.password, autocommit=True,
            connect_timeout=self.timing.connect_timeout_seconds, application_name="ichrisbirch-scheduler-lock",
            keepalives=1, keepalives_idle=5, keepalives_interval=1, keepalives_count=3,
            tcp_user_timeout=self.timing.dead_network_seconds * 1000,
        )
        # The server ends the session (and frees the lock) of a client it cannot reach within about 8 s.
        for setting, value in (("tcp_keepalives_idle", 5), ("tcp_keepalives_interval", 1), ("tcp_keepalives_count", 3),
                               ("statement_timeout", STATEMENT_TIMEOUT_MS)):
            connection.execute(f"SET {setting} = {int(value)}")
        self._backend_pid = connection.info.backend_pid
        return connection

    def _close(self) -> None:
        connection, self._connection, self._backend_pid = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except psycopg.Error:
                pass
