"""Readiness probes from outside (HTTP, Redis PING, PostgreSQL SELECT 1), the clock, ports, logging.

Run with the services' venv: PostgreSQL and Redis are asked with psycopg and redis-py.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time

import psycopg
import redis

POLL = 0.025  # probe interval, both A and B


def now() -> float:
    """CLOCK_BOOTTIME seconds: comparable with /proc/PID/stat start times."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def log(msg: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def http_ok(port: int, path: str = "/health", host: str = "127.0.0.1", timeout: float = 2.0) -> bool:
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.request("GET", path)
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def http_any(port: int, path: str = "/") -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


def redis_ping(port: int, password: str) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, password=password or None, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def pg_ready(port: int, user: str, password: str, database: str = "postgres") -> bool:
    """A real login (SCRAM) and ``SELECT 1``."""
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user=user, password=password, dbname=database,
                             connect_timeout=2) as connection:
            return connection.execute("SELECT 1").fetchone() == (1,)
    except psycopg.Error:
        return False


class Waiter(threading.Thread):
    """Polls probe() every POLL seconds until it succeeds; records when (boot seconds)."""

    def __init__(self, name: str, probe, deadline: float):
        super().__init__(daemon=True, name=name)
        self.probe, self.deadline, self.at = probe, deadline, None
        self.stop = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stop.is_set() and now() < self.deadline:
            if self.probe():
                self.at = now()
                return
            time.sleep(POLL)


def ports_free(ports) -> list[int]:
    busy = []
    for p in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a listener conflicts, TIME_WAIT does not
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                busy.append(p)
    return busy


def wait_load_below(limit: float | None, timeout=120.0) -> float:
    """Waits until the 1-min load average is below ``limit`` (or ``timeout`` passes); returns it."""
    end = time.time() + timeout
    while True:
        load = float(open("/proc/loadavg").read().split()[0])
        if limit is None or load < limit or time.time() > end:
            return load
        time.sleep(1.0)


def wait_ports_free(ports, timeout=30.0) -> list[int]:
    end = time.time() + timeout
    while True:
        busy = ports_free(ports)
        if not busy or time.time() > end:
            return busy
        time.sleep(0.2)


def http_call(method: str, port: int, path: str, body=None, key: str | None = None):
    """(status, X-Cache header, body bytes, seconds) of one request on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["X-API-Key"] = key
    t0 = time.perf_counter()
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    dt = time.perf_counter() - t0
    conn.close()
    return r.status, r.getheader("X-Cache"), data, dt


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
