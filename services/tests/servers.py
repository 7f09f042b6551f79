"""Throwaway PostgreSQL, Redis and service processes for the self-contained suite."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Mapping, TypeVar

import httpx

API_SECRET_KEY = "test-api-secret-key"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(probe: Callable[[], T | None], what: str, timeout: float = 30.0, interval: float = 0.1) -> T:
    """Call ``probe`` until it returns a truthy value (returned) or raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - keep polling, report the last one
            last_error = error
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last_error!r})")


def http_status(url: str) -> int:
    return httpx.get(url, timeout=2).status_code


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class PostgresServer:
    """initdb + postgres in a temp dir on a free port, password auth over TCP."""

    def __init__(self, user: str = "ichrisbirch", password: str = "test-pg-password", db: str = "ichrisbirch") -> None:
        self.user, self.password, self.db = user, password, db
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ichrisbirch-pg-"))
        self.process: subprocess.Popen | None = None

    def _run_as_postgres(self) -> list[str]:
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if os.geteuid() == 0 else []

    def start(self) -> PostgresServer:
        data, sockets, pwfile = self.dir / "data", self.dir / "sockets", self.dir / "pwfile"
        sockets.mkdir()
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            for path in (self.dir, sockets, pwfile):
                shutil.chown(path, "postgres", "postgres")
        subprocess.run(
            [*self._run_as_postgres(), str(PG_BIN / "initdb"), "-D", str(data), "-U", self.user,
             f"--pwfile={pwfile}", "--auth-host=scram-sha-256", "--auth-local=trust",
             "-E", "UTF8", "--no-locale", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        log = open(self.dir / "postgres.log", "wb")
        self.process = subprocess.Popen(
            [*self._run_as_postgres(), str(PG_BIN / "postgres"), "-D", str(data), "-p", str(self.port),
             "-k", str(sockets), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(lambda: self._create_database() or True, "postgres to accept connections")
        return self

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                             dbname="postgres", autocommit=True, connect_timeout=2) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.db,)).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{self.db}"')

    def env(self) -> dict[str, str]:
        return {"POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(self.port), "POSTGRES_DB": self.db,
                "POSTGRES_USERNAME": self.user, "POSTGRES_PASSWORD": self.password}

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGINT)  # "fast" shutdown
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """redis-server on a free port with requirepass and no persistence (unless a subclass says otherwise)."""

    persistence = 'save ""\nappendonly no\n'

    def __init__(self, password: str = "test-redis-password") -> None:
        self.password = password
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ichrisbirch-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        conf = self.dir / "redis.conf"
        conf.write_text(
            f'port {self.port}\nbind 127.0.0.1\nrequirepass "{self.password}"\n{self.persistence}'
            f'dir {self.dir}\ndaemonize no\n'
        )
        log = open(self.dir / "redis.log", "wb")
        self.process = subprocess.Popen(["redis-server", str(conf)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        import redis

        client = redis.Redis(port=self.port, password=self.password, socket_timeout=1)
        wait_until(client.ping, "redis to answer PING")
        client.close()
        return self

    def env(self) -> dict[str, str]:
        return {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(self.port), "REDIS_PASSWORD": self.password}

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


class ServiceProcess:
    """A service started with ``python -m ...`` and the given environment, output to a log file."""

    def __init__(self, args: list[str], env: Mapping[str, str], log_dir: Path, name: str) -> None:
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, *args], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parents[1],
            )

    def wait_http(self, url: str, statuses: tuple[int, ...] = (200,), timeout: float = 30.0) -> None:
        """Poll ``url`` until it answers one of ``statuses``; fail fast if the process exits."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.log_path.name}: exited with {self.process.returncode}\n{self.log()}")
            try:
                if http_status(url) in statuses:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {url}\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        return stop_process(self.process, sig)


def start_api(
    env: dict[str, str], log_dir: Path, name: str, ready: tuple[int, ...] = (200,)
) -> tuple[ServiceProcess, str]:
    """uvicorn running the api on a free port; returns the process and its base URL."""
    port = free_port()
    process = ServiceProcess(
        ["-m", "uvicorn", "ichrisbirch.wsgi_api:api", "--host", "127.0.0.1", "--port", str(port)],
        env, log_dir, name,
    )
    url = f"http://127.0.0.1:{port}"
    process.wait_http(f"{url}/health", ready)
    return process, url
