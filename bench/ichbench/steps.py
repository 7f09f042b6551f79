"""Before/after of each data-path optimisation: the api's cached GET /habits/ under gunicorn, per code version.

``bench/run.sh --only steps``. Each step is a commit of services/ (extracted with ``git archive``, or the
working tree) and a gunicorn command line; all run against one throwaway PostgreSQL and Redis (the services'
test servers), 50 habits, Production settings, ``wrk`` as in the data path, rounds alternated. The worker
class ``ichbench.plainworker.PlainWorker`` is uvicorn's with the asyncio loop and the h11 parser forced,
i.e. the server as it ran before uvloop and httptools were installed.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import tarfile
import tempfile

import httpx
import redis

from ichbench.measures import wrk
from ichbench.report import fmt, med, table
from ichbench.runners import REPO, SERVICES

BASE, BYTES_ASYNC, APP_THREADS = "8cbbd98", "3938138", "9dc283d"  # branch start; bytes cache + async; app threads
PLAIN = "--worker-class ichbench.plainworker.PlainWorker"
FAST = "--worker-class uvicorn.workers.UvicornWorker"
STEPS = [
    ("before: 4 workers, asyncio loop + h11 parser", BASE, f"--workers 4 {PLAIN}"),
    ("before + uvloop/httptools", BASE, f"--workers 4 {FAST}"),
    ("cache holds response bytes, async endpoint + redis.asyncio (asyncio + h11)", BYTES_ASYNC, f"--workers 4 {PLAIN}"),
    ("… + uvloop/httptools", BYTES_ASYNC, f"--workers 4 {FAST}"),
    ("… + workers derived from the CPUs (gunicorn.conf.py)", None, FAST),
]
# The app's page against the current api: before, 4 sync workers; after, a worker per CPU with 4 threads each
# and one pooled keep-alive api client per worker (gunicorn.conf.py, api_client.py).
APP_STEPS = [
    ("app before: 4 sync workers", BASE, "--workers 4"),
    ("app: a worker per CPU × 4 threads, one keep-alive httpx client per worker", APP_THREADS, ""),
    ("… + the api client on urllib3 instead of httpx", None, ""),
]


def source(commit: str | None, work: str) -> str:
    if commit is None:
        return SERVICES
    out = tempfile.mkdtemp(prefix=f"steps-{commit}-", dir=work)
    blob = subprocess.run(["git", "archive", commit, "services/ichrisbirch", "services/gunicorn.conf.py"],
                          cwd=REPO, capture_output=True, check=True).stdout
    tarfile.open(fileobj=io.BytesIO(blob)).extractall(out)
    return os.path.join(out, "services")


def measure_steps(args, out: dict) -> None:
    sys.path.insert(0, SERVICES)
    from tests.servers import API_SECRET_KEY, PostgresServer, RedisServer, free_port, wait_until

    print("\n## 5b. Data-path optimisations, one at a time (api cached GET /habits/, then the app's page against the "
          "current api; gunicorn, Production settings)\n")
    pg, rd = PostgresServer().start(), RedisServer().start()
    env = {**os.environ, "ENVIRONMENT": "production", "LOG_LEVEL": "info", "API_SECRET_KEY": API_SECRET_KEY,
           **pg.env(), **rd.env()}
    bench_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    res: dict[str, list] = {label: [] for label, _, _ in STEPS + APP_STEPS}
    procs: list[subprocess.Popen] = []

    def serve(module: str, src: str, gargs: str, extra: dict[str, str]) -> tuple[subprocess.Popen, int]:
        port = free_port()
        cmd = [sys.executable, "-m", "gunicorn", module, "--bind", f"127.0.0.1:{port}", *gargs.split()]
        log_file = open(os.path.join(args.work, "steps.log"), "ab")
        p = subprocess.Popen(cmd, cwd=src, env={**env, **extra, "PYTHONPATH": f"{src}:{bench_dir}"}, stdout=log_file,
                             stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(p)
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200, module, 120)
        return p, port

    def stop(p: subprocess.Popen) -> None:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(30)
        procs.remove(p)

    def seeded(port: int) -> str:
        url = f"http://127.0.0.1:{port}/habits/"
        for n in range(len(httpx.get(url).json()), args.habits):
            httpx.post(url, json={"name": f"habit {n}", "category": "bench"}, headers={"X-API-Key": API_SECRET_KEY})
        httpx.get(url)
        return url

    try:
        trees = {commit: source(commit, args.work) for _, commit, _ in STEPS + APP_STEPS}
        for i in range(args.wrk_runs):
            for label, commit, gargs in (STEPS if i % 2 == 0 else list(reversed(STEPS))):
                redis.Redis(port=rd.port, password=rd.password).flushall()  # cache formats differ between versions
                p, port = serve("ichrisbirch.wsgi_api:api", trees[commit], gargs, {})
                try:
                    res[label].append(wrk(seeded(port), args))
                finally:
                    stop(p)
        redis.Redis(port=rd.port, password=rd.password).flushall()
        api, api_port = serve("ichrisbirch.wsgi_api:api", SERVICES, FAST, {})
        seeded(api_port)
        app_env = {"FASTAPI_HOST": "127.0.0.1", "FASTAPI_PORT": str(api_port), "FASTAPI_PROTOCOL": "http",
                   "FLASK_SECRET_KEY": "bench-steps-flask-secret-key-0123456789"}
        for i in range(args.wrk_runs):
            for label, commit, gargs in (APP_STEPS if i % 2 == 0 else list(reversed(APP_STEPS))):
                p, port = serve("ichrisbirch.wsgi_app:app", trees[commit], gargs, app_env)
                try:
                    res[label].append(wrk(f"http://127.0.0.1:{port}/habits/", args))
                finally:
                    stop(p)
    finally:
        for p in list(procs):
            stop(p)
        pg.stop()
        rd.stop()
    rows = [[label, commit or "working tree", f"`{re.sub('ichbench.plainworker.|uvicorn.workers.', '', g) or '(gunicorn.conf.py)'}`",
             fmt(med([x["rps"] for x in res[label]]), "", 0), " / ".join(f"{x['rps']:.0f}" for x in res[label] if x["rps"]),
             fmt(med([x["p50"] for x in res[label]]), "ms"), fmt(med([x["p99"] for x in res[label]]), "ms")]
            for label, commit, g in STEPS + APP_STEPS]
    print(table(["step", "services/ at", "gunicorn", "req/s median", "runs", "p50", "p99"], rows))
    out["steps"] = res
