"""gunicorn.conf.py: the worker count comes from the CPUs the process may use, or WEB_CONCURRENCY."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ServiceProcess, free_port, wait_until

CONF = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
AFFINITY = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("value", "expected"), [(None, "-"), ("on", "-"), ("off", None)])
def test_the_access_log_goes_to_stdout_unless_access_log_is_off(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str | None) -> None:
    if value is None:
        monkeypatch.delenv("ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("ACCESS_LOG", value)
    conf = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
    assert conf["accesslog"] == expected


def test_workers_follow_web_concurrency_when_set() -> None:
    assert CONF["worker_count"]({"WEB_CONCURRENCY": "3"}) == 3


def test_workers_default_to_the_cpus_the_process_may_use() -> None:
    assert CONF["worker_count"]({}) == CONF["cpu_limit"]() <= AFFINITY


@pytest.mark.parametrize("value", ["0", "four", "-2"])
def test_a_bad_web_concurrency_stops_with_one_line_naming_the_fix(value: str) -> None:
    with pytest.raises(SystemExit, match=r"WEB_CONCURRENCY=.* set a whole number ≥ 1 or unset it"):
        CONF["worker_count"]({"WEB_CONCURRENCY": value})


@pytest.mark.parametrize(("cpu_max", "expected"), [("50000 100000", 1), ("100000 100000", 1), ("max 100000", AFFINITY)])
def test_a_cgroup_v2_cpu_quota_caps_the_worker_count(tmp_path: Path, cpu_max: str, expected: int) -> None:
    (tmp_path / "cpu.max").write_text(cpu_max + "\n")
    assert CONF["cpu_limit"](str(tmp_path)) == expected


def test_a_cgroup_v1_cpu_quota_caps_the_worker_count(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("150000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert CONF["cpu_limit"](str(tmp_path)) == min(2, AFFINITY)


def _connections_per_worker(master_pid: int, port: int) -> list[int]:
    """Established connections to ``port`` held by each of the master's worker processes."""
    established = set()
    with open("/proc/net/tcp") as table:
        for line in list(table)[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
                established.add(fields[9])
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    counts = []
    for worker in children:
        sockets = {os.readlink(fd).removeprefix("socket:[").rstrip("]") for fd in Path(f"/proc/{worker}/fd").iterdir()
                   if os.readlink(fd).startswith("socket:[")}
        counts.append(len(sockets & established))
    return counts


def test_bursts_of_keep_alive_connections_spread_over_the_workers(
    service_env: dict[str, str], log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libuv accepts every pending connection at once unless UV_TCP_SINGLE_ACCEPT is set: without it, a burst of
    keep-alive connections (a load balancer's, a benchmark's) went almost all to one worker in 19 of 20 bursts;
    with it, in 2 to 3 of 20."""
    monkeypatch.delenv("UV_TCP_SINGLE_ACCEPT", raising=False)  # CONF set it here: gunicorn.conf.py must set it
    port = free_port()
    api = ServiceProcess(["-m", "gunicorn", "ichrisbirch.wsgi_api:api", "-k", "uvicorn.workers.UvicornWorker",
                          "--workers", "2", "--bind", f"127.0.0.1:{port}"], service_env, log_dir, "gunicorn-spread")
    try:
        api.wait_http(f"http://127.0.0.1:{port}/health")
        wait_until(lambda: api.log_path.read_text().count("Application startup complete") >= 2 or None,
                   "both workers' startup")
        request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        spreads = []
        for _ in range(20):
            connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]  # all queued at once
            try:
                for connection in connections:
                    connection.sendall(request)
                for connection in connections:
                    assert connection.recv(64).startswith(b"HTTP/1.1 200 ")
                spreads.append(sorted(_connections_per_worker(api.process.pid, port)))
            finally:
                for connection in connections:
                    connection.close()
        lopsided = [spread for spread in spreads if spread[0] < 3]
        assert len(lopsided) <= 8, f"connections per worker in each burst: {spreads}"
    finally:
        api.stop()


def test_the_preloaded_application_is_frozen_before_each_fork() -> None:
    """pre_fork moves what the master made to the permanent generation (in a process of its own: it is global)."""
    code = ("import gc, runpy, sys; conf = runpy.run_path('gunicorn.conf.py'); import ichrisbirch.api; "
            "before = gc.get_freeze_count(); conf['pre_fork'](None, None); "
            "print(before, gc.get_freeze_count(), len(gc.get_objects(generation=2)))")
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
                         env={**os.environ, "ENVIRONMENT": "testing"})
    before, frozen, left_in_gen2 = map(int, run.stdout.split())
    assert (before, left_in_gen2) == (0, 0), run.stderr
    assert frozen > 50_000, "the api's modules and objects, frozen"
