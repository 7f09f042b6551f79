"""Gunicorn settings, read automatically from the working directory (/app in the image).

preload_app: the application module (and so the configuration check) is loaded
once in the master before forking.  A missing or invalid variable then stops
gunicorn itself with exit code 2 and one line on stderr; without preloading,
each worker would exit and gunicorn would respawn it forever.  No connection is
opened at import time, so forking after the import is safe.

workers: decided here at start-up, never fixed at publish time: WEB_CONCURRENCY
when set, else one worker per CPU this process may use.  Inside a container
that is the cgroup's quota (``cpu.max``; compose ``cpus:``), which
``os.cpu_count()`` ignores; outside, the CPU affinity mask.  A ``--workers``
argument still overrides it.  One uvicorn worker per CPU is enough for the
async api; sync workers (the Flask app) also get ``threads``, so a worker waiting
on the api keeps serving other requests.

UV_TCP_SINGLE_ACCEPT: the workers share one listening socket, and libuv (under
uvloop) accepts every pending connection in one go, so a burst of keep-alive
connections could all land on one worker while the other idles (measured: all
16 of wrk's connections on one of two workers in 3 of 12 runs, at a third of
the throughput).  With it set, a worker takes one connection per wake-up and
yields, and the connections spread over the workers (0 of 12).
"""

from __future__ import annotations

import gc
import math
import os

preload_app = True
# One line per request on stdout (so in each replica's container log), as uvicorn and flask run print without
# gunicorn; under gunicorn the uvicorn worker writes its access lines to gunicorn's access log, off by default.
# ACCESS_LOG=off: none (the AppHost's Production run mode, where every line would cross DCP to the dashboard).
accesslog = None if os.environ.get("ACCESS_LOG") == "off" else "-"
# Written in batches, once a second or per 4 KiB, not one write per request (ichrisbirch/access_log.py: in a
# container each write costs containerd-shim and dockerd more CPU than the request's own logging).
logger_class = "ichrisbirch.access_log.BatchedAccessLogger"
os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")  # read by libuv in each worker (inherits the environment)


def cpu_limit(cgroup: str = "/sys/fs/cgroup") -> int:
    """CPUs this process may use: the affinity mask, capped by a cgroup v2 or v1 CPU quota."""
    cpus = len(os.sched_getaffinity(0))
    for quota_file, period_file in ((f"{cgroup}/cpu.max", None),
                                    (f"{cgroup}/cpu/cpu.cfs_quota_us", f"{cgroup}/cpu/cpu.cfs_period_us")):
        try:
            with open(quota_file) as f:
                fields = f.read().split()
            if period_file is not None:
                with open(period_file) as f:
                    fields.append(f.read().strip())
            quota, period = fields[0], fields[1]
        except (OSError, IndexError):
            continue
        if quota not in ("max", "-1"):
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
        break
    return cpus


def worker_count(environ: dict[str, str] | os._Environ = os.environ) -> int:
    configured = environ.get("WEB_CONCURRENCY", "").strip()
    if not configured:
        return cpu_limit()
    if not configured.isdigit() or int(configured) < 1:
        raise SystemExit(f"WEB_CONCURRENCY={configured!r} is not a worker count: set a whole number ≥ 1 or unset it")
    return int(configured)


workers = worker_count()
threads = 4  # sync workers only (gthread); uvicorn workers ignore it
# Seconds a worker has to finish its requests after SIGTERM. The AppHost's graceful stop (WithGracefulStop:
# compose stop_grace_period, the pods' terminationGracePeriodSeconds) gives more; a test holds them apart.
graceful_timeout = 30


def pre_fork(server, worker) -> None:  # noqa: ANN001 - gunicorn's Arbiter and Worker
    """Freeze what the preloaded application made before each fork (Python's gc.freeze, for forking servers).

    The modules, classes and objects of FastAPI, SQLAlchemy, Flask and the app move to a permanent generation that
    the collector skips, so a worker's full (generation 2) collection walks only what the worker made itself. Measured
    on one api worker under wrk -c16: full collections took 45-59 ms, during which the worker answered nothing (p99
    37-62 ms); frozen, 1.4-3.1 ms (p99 8-21 ms). The frozen objects are also never written to by the collector,
    so their pages stay shared between master and workers.
    """
    gc.freeze()
