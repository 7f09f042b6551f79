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

BASE, BYTES_ASYNC = "8cbbd98", "3938138"  # branch start; bytes cache + async endpoints
PLAIN = "--worker-class ichbench.plainworker.PlainWorker"
FAST = "--worker-class uvicorn.workers.UvicornWorker"
STEPS = [
    ("before: 4 workers, asyncio loop + h11 parser", BASE, f"--workers 4 {PLAIN}"),
    ("before + uvloop/httptools", BASE, f"--workers 4 {FAST}"),
    ("cache holds response bytes, async endpoint + redis.asyncio (asyncio + h11)", BYTES_ASYNC, f"--workers 4 {PLAIN}"),
    ("… + uvloop/httptools", BYTES_ASYNC, f"--workers 4 {FAST}"),
    ("… + workers derived from the CPUs (gunicorn.conf.py)", None, FAST),
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

    print("\n## 5b. Data-path optimisations, one at a time (api cached GET /habits/, gunicorn, Production settings)\n")
    pg, rd = PostgresServer().start(), RedisServer().start()
    env = {**os.environ, "ENVIRONMENT": "production", "LOG_LEVEL": "info", "API_SECRET_KEY": API_SECRET_KEY,
           **pg.env(), **rd.env()}
    bench_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    res: dict[str, list] = {label: [] for label, _, _ in STEPS}
    try:
        trees = {commit: source(commit, args.work) for _, commit, _ in STEPS}
        for i in range(args.wrk_runs):
            for label, commit, gargs in (STEPS if i % 2 == 0 else list(reversed(STEPS))):
                redis.Redis(port=rd.port, password=rd.password).flushall()  # cache formats differ between versions
                port, src = free_port(), trees[commit]
                cmd = [sys.executable, "-m", "gunicorn", "ichrisbirch.wsgi_api:api", "--bind", f"127.0.0.1:{port}", *gargs.split()]
                log_file = open(os.path.join(args.work, "steps.log"), "ab")
                p = subprocess.Popen(cmd, cwd=src, env={**env, "PYTHONPATH": f"{src}:{bench_dir}"}, stdout=log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
                url = f"http://127.0.0.1:{port}/habits/"
                try:
                    wait_until(lambda: httpx.get(url.replace("/habits/", "/health")).status_code == 200, label, 120)
                    for n in range(len(httpx.get(url).json()), args.habits):
                        httpx.post(url, json={"name": f"habit {n}", "category": "bench"}, headers={"X-API-Key": API_SECRET_KEY})
                    httpx.get(url)
                    res[label].append(wrk(url, args))
                finally:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(30)
    finally:
        pg.stop()
        rd.stop()
    rows = [[label, commit or "working tree", f"`{re.sub('ichbench.plainworker.|uvicorn.workers.', '', g)}`",
             fmt(med([x["rps"] for x in res[label]]), "", 0), " / ".join(f"{x['rps']:.0f}" for x in res[label] if x["rps"]),
             fmt(med([x["p50"] for x in res[label]]), "ms"), fmt(med([x["p99"] for x in res[label]]), "ms")]
            for label, commit, g in STEPS]
    print(table(["step", "services/ at", "gunicorn", "req/s median", "runs", "p50", "p99"], rows))
    out["steps"] = res
