#!/usr/bin/env python3
"""Benchmarks of the ichrisbirch Aspire AppHost against the physical limit (standard library only).

Run through bench/run.sh. Prints Markdown tables; never fails (a measure that cannot run prints why).

  A = warm `dotnet run --no-build --project AppHost -- --Ichrisbirch:Infrastructure=Local` (http profile)
  B = the same five processes started by this script, same arguments, environment and dependency order

Measures: 1 start to all-healthy, 2 stop, 3 footprint, 4 publish, 5 data path, 6 test suite.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = os.path.join(REPO, "services")
VENV_PY = os.path.join(SERVICES, ".venv", "bin", "python")
HZ = os.sysconf("SC_CLK_TCK")
POLL = 0.025  # probe interval, both A and B

# Development values, read from AppHost/appsettings.Development.json so that B gets exactly what A gets.
def _dev_settings() -> dict:
    try:
        with open(os.path.join(REPO, "AppHost", "appsettings.Development.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


_DEV = _dev_settings()
PG_PASSWORD = _DEV.get("Parameters", {}).get("postgres-password", "postgres")
REDIS_PASSWORD = _DEV.get("Parameters", {}).get("redis-password", "")
API_KEY = _DEV.get("Parameters", {}).get("api-secret-key", "development-api-secret-key")
FLASK_KEY = _DEV.get("Parameters", {}).get("flask-secret-key", "development-flask-secret-key")
ADMIN_PASSWORD = _DEV.get("Parameters", {}).get("app-admin-password", "development-admin-password")
DATABASE = _DEV.get("Ichrisbirch", {}).get("Database", "ichrisbirch_dev")

A_PORTS = {"api": 8000, "app": 5000, "postgres": 5432, "redis": 6379, "dashboard": 15888, "otlp": 19888}
B_PORTS = {"api": 18000, "app": 15000, "postgres": 15432, "redis": 16379, "scheduler": 18100}
B_ROOT = "/var/lib/ichrisbirch-bench"  # B's own data (A's is /var/lib/ichrisbirch-aspire/development)

RESOURCES = ["postgres", "redis", "api", "app", "scheduler"]


def now() -> float:
    """CLOCK_BOOTTIME seconds: comparable with /proc/PID/stat start times."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def log(msg: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------- /proc
def proc_table() -> dict[int, tuple[int, float, str]]:
    """pid -> (ppid, start time in boot seconds, cmdline)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] == "Z":
            continue
        table[pid] = (int(fields[1]), int(fields[19]) / HZ, cmd)
    return table


def descendants(roots: set[int], table: dict) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, stack = set(), [r for r in roots if r in table]
    while stack:
        pid = stack.pop()
        if pid in out:
            continue
        out.add(pid)
        stack.extend(children.get(pid, []))
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read().decode(errors="replace")
        return s[s.rfind(")") + 2] != "Z"
    except OSError:
        return False


def memory(pid: int) -> tuple[int, int]:
    """(RSS kB, PSS kB)."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def environ_of(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    return dict(kv.decode(errors="replace").split("=", 1) for kv in raw.split(b"\0") if b"=" in kv)


def classify(cmd: str) -> str | None:
    """Which group a process of a run belongs to."""
    if "dcp start-apiserver" in cmd:
        return "dcp apiserver"
    if "dcp run-controllers" in cmd:
        return "dcp run-controllers"
    if "dcp monitor-process" in cmd:
        return "dcp monitor-process"
    if "Aspire.Dashboard" in cmd:
        return "dashboard"
    if "AppHost/bin/" in cmd:
        return "AppHost"
    if cmd.startswith("dotnet run") or cmd.startswith("dotnet ") or "/dotnet run" in cmd:
        return "dotnet run (CLI)"
    if "postgres" in cmd.split(" ")[0] or cmd.startswith("postgres:") or (cmd.startswith("setpriv") and "postgres" in cmd):
        return "postgres"
    if "redis-server" in cmd:
        return "redis"
    if "ichrisbirch.wsgi_scheduler" in cmd:
        return "scheduler"
    if "ichrisbirch.wsgi_api" in cmd:
        return "api"
    if "ichrisbirch.wsgi_app" in cmd:
        return "app"
    if "multiprocessing" in cmd:
        return "api"  # uvicorn --reload's worker and resource tracker
    return "other"


ORCHESTRATION = ["dotnet run (CLI)", "AppHost", "dcp apiserver", "dcp run-controllers", "dcp monitor-process", "dashboard"]


# ----------------------------------------------------------------------------------------------- probes

def footprint_of(pids, table) -> dict:
    """RSS and PSS (kB) and process count per group of the given processes."""
    groups: dict[str, list[int]] = {}
    for pid in pids:
        rss, pss = memory(pid)
        acc = groups.setdefault(classify(table[pid][2]), [0, 0, 0])
        acc[0] += rss
        acc[1] += pss
        acc[2] += 1
    return groups

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


def _resp(*parts: str) -> bytes:
    out = f"*{len(parts)}\r\n"
    for p in parts:
        out += f"${len(p.encode())}\r\n{p}\r\n"
    return out.encode()


def redis_ping(port: int, password: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            f = s.makefile("rb")
            if password:
                s.sendall(_resp("AUTH", password))
                if f.readline().strip() != b"+OK":
                    return False
            s.sendall(_resp("PING"))
            return f.readline().strip() == b"+PONG"
    except OSError:
        return False


class PgError(Exception):
    pass


def pg_query(port: int, sql: str, user: str = "postgres", password: str = PG_PASSWORD, database: str = "postgres") -> list[list[str | None]]:
    """Minimal PostgreSQL v3 client (startup, SCRAM-SHA-256/md5/cleartext, simple query)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        f = s.makefile("rb")

        def read() -> tuple[bytes, bytes]:
            head = f.read(5)
            if len(head) < 5:
                raise PgError("connection closed")
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            return kind, f.read(length - 4)

        def send(kind: bytes, body: bytes) -> None:
            s.sendall(kind + struct.pack("!i", len(body) + 4) + body)

        params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
        s.sendall(struct.pack("!ii", len(params) + 8, 196608) + params)
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n=,r={nonce}"
        salted = server_first = None
        while True:
            kind, body = read()
            if kind == b"E":
                raise PgError(body.decode(errors="replace"))
            if kind == b"R":
                code = struct.unpack("!i", body[:4])[0]
                if code == 10:  # SASL
                    first = ("n,," + first_bare).encode()
                    send(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
                elif code == 11:  # SASL continue
                    server_first = body[4:].decode()
                    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
                    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
                    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
                    stored = hashlib.sha256(client_key).digest()
                    final_wo = f"c=biws,r={attrs['r']}"
                    auth = f"{first_bare},{server_first},{final_wo}".encode()
                    sig = hmac.new(stored, auth, "sha256").digest()
                    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig))).decode()
                    send(b"p", f"{final_wo},p={proof}".encode())
                elif code == 5:  # md5
                    inner = hashlib.md5((password + user).encode()).hexdigest()
                    send(b"p", b"md5" + hashlib.md5(inner.encode() + body[4:8]).hexdigest().encode() + b"\0")
                elif code == 3:
                    send(b"p", password.encode() + b"\0")
            elif kind == b"Z":
                break
        send(b"Q", sql.encode() + b"\0")
        rows: list[list[str | None]] = []
        error = None
        while True:
            kind, body = read()
            if kind == b"D":
                n = struct.unpack("!h", body[:2])[0]
                pos, row = 2, []
                for _ in range(n):
                    ln = struct.unpack("!i", body[pos:pos + 4])[0]
                    pos += 4
                    row.append(None if ln < 0 else body[pos:pos + ln].decode())
                    pos += max(ln, 0)
                rows.append(row)
            elif kind == b"E":
                error = body.decode(errors="replace")
            elif kind == b"Z":
                break
        send(b"X", b"")
        if error:
            raise PgError(error)
        return rows
    finally:
        s.close()


def pg_ready(port: int) -> bool:
    try:
        return pg_query(port, "SELECT 1") == [["1"]]
    except (OSError, PgError, ValueError, KeyError, struct.error):
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


# ----------------------------------------------------------------------------------------------- stats
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, unit="s", nd=2):
    if x is None:
        return "n/a"
    return f"{x:.{nd}f}{(' ' + unit) if unit else ''}"


def table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def summary_row(label: str, xs, unit="s", nd=2) -> list:
    xs = [x for x in xs if x is not None]
    if not xs:
        return [label, "n/a", "n/a", "n/a", 0]
    return [label, fmt(med(xs), unit, nd), fmt(min(xs), unit, nd), fmt(max(xs), unit, nd), len(xs)]


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


def wait_ports_free(ports, timeout=30.0) -> list[int]:
    end = time.time() + timeout
    while True:
        busy = ports_free(ports)
        if not busy or time.time() > end:
            return busy
        time.sleep(0.2)


# ----------------------------------------------------------------------------------------------- stop
def stop_and_watch(pids: set[int], table_: dict, send, timeout=60.0) -> dict:
    """send() delivers the signal(s); returns stop time, per-group last exit, leftovers (SIGKILLed)."""
    TRACKED.update((pid, table_[pid][1]) for pid in pids if pid in table_)
    t0 = now()
    send()
    exits: dict[int, float] = {}
    remaining = set(pids)
    while remaining and now() - t0 < timeout:
        for pid in list(remaining):
            if not alive(pid):
                exits[pid] = now() - t0
                remaining.discard(pid)
        if remaining:
            time.sleep(0.02)
    total = now() - t0
    groups: dict[str, float] = {}
    for pid, at in exits.items():
        g = classify(table_.get(pid, (0, 0, ""))[2])
        groups[g] = max(groups.get(g, 0.0), at)
    left = [(pid, table_.get(pid, (0, 0, ""))[2][:100]) for pid in remaining]
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return {"seconds": total if not left else None, "groups": groups, "left": left, "count": len(pids)}


def stray_processes(before: set[int]) -> list[str]:
    """Processes matching the usual suspects that were not there before the benchmark."""
    pat = re.compile(r"postgres|redis-server|uvicorn|gunicorn|flask|dcp|Aspire|wsgi_scheduler")
    out = []
    for pid, (_, _, cmd) in proc_table().items():
        if pid not in before and pat.search(cmd) and pid != os.getpid():
            if "/work/" in cmd or not cmd.startswith("/tmp/"):
                out.append(f"{pid} {cmd[:120]}")
    return out


# ----------------------------------------------------------------------------------------------- A
class RunA:
    """One warm `dotnet run` of the AppHost (Development, http profile, Local infrastructure)."""

    def __init__(self, args):
        self.args = args
        self.proc = None
        self.t0 = None

    def env(self):
        env = dict(os.environ)
        env["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true"
        return env

    def command(self):
        cmd = ["dotnet", "run", "--no-build", "--project", "AppHost", "--", "--Ichrisbirch:Infrastructure=Local"]
        if self.args.redis_override:
            cmd.append(f"--Parameters:redis-password={self.args.redis_password}")
        return cmd

    def roots(self, table_) -> set[int]:
        roots = {self.proc.pid}
        apphosts = {pid for pid in descendants({self.proc.pid}, table_) if "AppHost/bin/" in table_[pid][2]}
        for pid, (_, _, cmd) in table_.items():
            m = re.search(r"dcp start-apiserver --monitor (\d+)", cmd)
            if m and int(m.group(1)) in apphosts:
                roots.add(pid)
        return roots

    def tracked(self) -> tuple[set[int], dict]:
        t = proc_table()
        return descendants(self.roots(t), t), t

    def scheduler_port(self) -> int | None:
        pids, t = self.tracked()
        for pid in pids:
            if "-m ichrisbirch.wsgi_scheduler" in t[pid][2]:
                port = environ_of(pid).get("SCHEDULER_HEALTH_PORT")
                if port:
                    return int(port)
        return None

    def start(self, timeout=120.0) -> dict:
        self.log = open(os.path.join(self.args.work, "a.log"), "ab")
        self.t0 = now()
        self.proc = subprocess.Popen(self.command(), cwd=REPO, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = self.t0 + timeout
        sched_port: list[int] = []

        def sched_probe():
            if not sched_port:
                p = self.scheduler_port()
                if p is None:
                    return False
                sched_port.append(p)
            return http_ok(sched_port[0])

        rp = self.args.redis_password or ""
        waiters = {
            "postgres": Waiter("postgres", lambda: pg_ready(A_PORTS["postgres"]), deadline),
            "redis": Waiter("redis", lambda: redis_ping(A_PORTS["redis"], rp), deadline),
            "api": Waiter("api", lambda: http_ok(A_PORTS["api"]), deadline),
            "app": Waiter("app", lambda: http_ok(A_PORTS["app"]), deadline),
            "scheduler": Waiter("scheduler", sched_probe, deadline),
            "dashboard": Waiter("dashboard", lambda: http_any(A_PORTS["dashboard"]), deadline),
        }
        for name in RESOURCES:
            while waiters[name].is_alive() and self.proc.poll() is None:
                waiters[name].join(0.2)
        waiters["dashboard"].join(2.0)
        for w in waiters.values():
            w.stop.set()
        healthy = {k: (w.at - self.t0 if w.at else None) for k, w in waiters.items()}
        pids, t = self.tracked()
        spawned = {}
        for pid in pids:
            g = classify(t[pid][2])
            if g in RESOURCES + ["AppHost", "dcp apiserver", "dcp run-controllers", "dashboard"]:
                at = t[pid][1] - self.t0
                spawned[g] = min(spawned.get(g, at), at)
        ok = all(healthy[r] is not None for r in RESOURCES)
        return {"ok": ok, "all": max(healthy[r] for r in RESOURCES) if ok else None, "healthy": healthy,
                "spawned": spawned, "exit": self.proc.poll()}

    def footprint(self) -> dict:
        return footprint_of(*self.tracked())

    def stop(self) -> dict:
        pids, t = self.tracked()
        return stop_and_watch(pids, t, lambda: os.kill(self.proc.pid, signal.SIGTERM))

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            pids, _ = self.tracked()
        except Exception:
            pids = {self.proc.pid}
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# ----------------------------------------------------------------------------------------------- B
def pg_bin() -> str:
    versions = sorted(d for d in os.listdir("/usr/lib/postgresql") if os.path.exists(f"/usr/lib/postgresql/{d}/bin/postgres"))
    return f"/usr/lib/postgresql/{versions[-1]}/bin"


class RunB:
    """The physical limit: the same five processes, started directly by this script."""

    def __init__(self, args):
        self.args = args
        self.procs: dict[str, subprocess.Popen] = {}
        self.pgdata = os.path.join(B_ROOT, "postgres")
        self.redisdir = os.path.join(B_ROOT, "redis")
        self.as_postgres = os.geteuid() == 0

    def _pg_cmd(self, tool: str, *args: str) -> list[str]:
        path = os.path.join(pg_bin(), tool)
        prefix = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] if self.as_postgres else []
        return prefix + [path, *args]

    def prepare(self) -> None:
        """initdb once (untimed), same options as the AppHost; redis.conf like the AppHost writes it."""
        os.makedirs(B_ROOT, exist_ok=True)
        if not os.path.exists(os.path.join(self.pgdata, "PG_VERSION")):
            os.makedirs(self.pgdata, exist_ok=True)
            pw = os.path.join(B_ROOT, ".pwfile")
            with open(pw, "w") as f:
                f.write(PG_PASSWORD + "\n")
            os.chmod(pw, 0o600)
            if self.as_postgres:
                subprocess.run(["chown", "-R", "postgres:postgres", self.pgdata, pw], check=True)
            subprocess.run(self._pg_cmd("initdb", "-D", self.pgdata, "-U", "postgres", f"--pwfile={pw}", "--auth-host=scram-sha-256",
                                        "--auth-local=scram-sha-256", "-E", "UTF8", "--no-instructions"),
                           check=True, cwd=B_ROOT, stdout=subprocess.DEVNULL)
            os.remove(pw)
        os.makedirs(self.redisdir, exist_ok=True)
        conf = ["bind 127.0.0.1", "protected-mode yes", "daemonize no", f'dir "{self.redisdir}"', "appendonly yes", "save 60 1"]
        if self.args.redis_password:
            conf.append(f'requirepass "{self.args.redis_password}"')
        with open(os.path.join(self.redisdir, "redis.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")
        os.chmod(os.path.join(self.redisdir, "redis.conf"), 0o600)

    def env(self, name: str) -> dict:
        env = dict(os.environ)
        env.update({
            "PYTHONUNBUFFERED": "1", "VIRTUAL_ENV": os.path.join(SERVICES, ".venv"),
            "ENVIRONMENT": "development", "LOG_LEVEL": "debug", "OTEL_SERVICE_NAME": name,
        })
        if name in ("api", "scheduler"):
            env.update({"POSTGRES_HOST": "localhost", "POSTGRES_PORT": str(B_PORTS["postgres"]), "POSTGRES_DB": DATABASE,
                        "POSTGRES_USERNAME": "postgres", "POSTGRES_PASSWORD": PG_PASSWORD})
        if name in ("api", "app"):
            env.update({"API_SECRET_KEY": API_KEY, "FASTAPI_PROTOCOL": "http", "FASTAPI_HOST": "localhost",
                        "FASTAPI_PORT": str(B_PORTS["api"])})
        if name == "api":
            env.update({"REDIS_HOST": "localhost", "REDIS_PORT": str(B_PORTS["redis"]), "REDIS_PASSWORD": self.args.redis_password or ""})
        if name == "app":
            env.update({"FLASK_SECRET_KEY": FLASK_KEY, "APP_ADMIN_PASSWORD": ADMIN_PASSWORD, "FLASK_HOST": "localhost", "FLASK_PORT": str(B_PORTS["app"])})
        if name == "scheduler":
            env.update({"SCHEDULER_HEALTH_HOST": "127.0.0.1", "SCHEDULER_HEALTH_PORT": str(B_PORTS["scheduler"])})
            for k in ("FASTAPI_HOST", "FASTAPI_PORT", "FASTAPI_PROTOCOL", "API_SECRET_KEY"):
                env.pop(k, None)
        return env

    def spawn(self, name: str) -> None:
        py = [VENV_PY]
        cmds = {
            "postgres": self._pg_cmd("postgres", "-D", self.pgdata, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                                     "-c", "logging_collector=off", "-p", str(B_PORTS["postgres"])),
            "redis": [shutil.which("redis-server") or "redis-server", os.path.join(self.redisdir, "redis.conf"), "--port", str(B_PORTS["redis"])],
            "api": py + ["-m", "uvicorn", "ichrisbirch.wsgi_api:api", "--host", "127.0.0.1", "--port", str(B_PORTS["api"]), "--reload"],
            "app": py + ["-m", "flask", "--app", "ichrisbirch.wsgi_app:app", "run", "--host", "127.0.0.1", "--port", str(B_PORTS["app"]),
                         "--debugger", "--reload"],
            "scheduler": py + ["-m", "ichrisbirch.wsgi_scheduler"],
        }
        cwd = SERVICES if name in ("api", "app", "scheduler") else (B_ROOT if name == "postgres" else self.redisdir)
        self.procs[name] = subprocess.Popen(cmds[name], cwd=cwd, env=self.env(name), stdout=self.log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def start(self, timeout=120.0) -> dict:
        self.log = open(os.path.join(self.args.work, "b.log"), "ab")
        self.t0 = now()
        deadline = self.t0 + timeout
        rp = self.args.redis_password or ""
        probes = {
            "postgres": lambda: pg_ready(B_PORTS["postgres"]),
            "redis": lambda: redis_ping(B_PORTS["redis"], rp),
            "api": lambda: http_ok(B_PORTS["api"]),
            "app": lambda: http_ok(B_PORTS["app"]),
            "scheduler": lambda: http_ok(B_PORTS["scheduler"]),
        }
        spawned, w = {}, {}

        def launch(*names):
            for n in names:
                spawned[n] = now() - self.t0
                self.spawn(n)
                w[n] = Waiter(n, probes[n], deadline)

        launch("postgres", "redis")
        w["postgres"].join()
        w["redis"].join()
        if w["postgres"].at and w["redis"].at:
            launch("api")
            w["api"].join()
            if w["api"].at:
                launch("app", "scheduler")  # app waits for api; scheduler for postgres + api
                w["app"].join()
                w["scheduler"].join()
        healthy = {n: (w[n].at - self.t0 if n in w and w[n].at else None) for n in RESOURCES}
        ok = all(healthy[r] is not None for r in RESOURCES)
        return {"ok": ok, "all": max(healthy.values()) if ok else None, "healthy": healthy, "spawned": spawned}

    def tracked(self) -> tuple[set[int], dict]:
        t = proc_table()
        return descendants({p.pid for p in self.procs.values()}, t), t

    def footprint(self) -> dict:
        return footprint_of(*self.tracked())

    def stop(self) -> dict:
        pids, t = self.tracked()

        def send():
            for name, p in self.procs.items():
                try:
                    if name in ("postgres", "redis"):
                        os.kill(p.pid, signal.SIGTERM)  # postmaster / redis handle their own
                    else:
                        os.killpg(p.pid, signal.SIGTERM)  # reloader + its server child
                except OSError:
                    pass

        r = stop_and_watch(pids, t, send)
        for p in self.procs.values():
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.procs = {}
        return r

    def kill(self) -> None:
        try:
            pids, _ = self.tracked()
        except Exception:
            pids = {p.pid for p in self.procs.values()}
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def ensure_database(self) -> None:
        """Untimed: the application database exists (the AppHost creates it on first ready)."""
        if not pg_query(B_PORTS["postgres"], f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"):
            pg_query(B_PORTS["postgres"], f'CREATE DATABASE "{DATABASE}"')


# ----------------------------------------------------------------------------------------------- 1-3
def measure_lifecycle(args, out: dict) -> None:
    a_ports = list(A_PORTS.values())
    busy = ports_free(a_ports)
    if busy:
        print(f"\n**Start/stop/footprint skipped**: ports {busy} are busy (A needs 8000/5000/5432/6379/15888/19888 free).\n")
        return
    b = RunB(args)
    log("B: prepare (initdb once, untimed)")
    b.prepare()
    # Warm-ups, untimed: A creates its data dir and database; B creates its database and tables.
    log("A: warm-up run (untimed)")
    a = RunA(args)
    try:
        r = a.start()
        if not r["ok"]:
            print(f"\n**A did not become healthy in the warm-up** (exit {r['exit']}, healthy {r['healthy']}); see {args.work}/a.log\n")
            tail = open(os.path.join(args.work, "a.log"), errors="replace").read()[-1500:]
            print("```\n" + tail + "\n```")
            a.stop()
            return
        a.stop()
    finally:
        a.kill()
    log("B: warm-up run (untimed)")
    try:
        b.log = open(os.path.join(args.work, "b.log"), "ab")
        b.spawn("postgres")
        end = time.time() + 30
        while not pg_ready(B_PORTS["postgres"]) and time.time() < end:
            time.sleep(0.1)
        b.ensure_database()
        b.stop()
        r = b.start()
        b.stop()
        if not r["ok"]:
            print(f"\n**B did not become healthy in the warm-up** ({r['healthy']}); see {args.work}/b.log\n")
    finally:
        b.kill()

    runs = {"A": [], "B": []}
    for i in range(args.runs):
        for kind in ("A", "B") if i % 2 == 0 else ("B", "A"):
            busy = wait_ports_free(a_ports + list(B_PORTS.values()))
            if busy:
                log(f"ports still busy before {kind}{i + 1}: {busy}")
            runner = RunA(args) if kind == "A" else RunB(args)
            log(f"{kind} run {i + 1}/{args.runs}: start")
            try:
                r = runner.start()
                time.sleep(args.settle)
                r["footprint"] = runner.footprint()
                if kind == "A" and i == 0:
                    r["ports"] = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
                r["stop"] = runner.stop()
            finally:
                runner.kill()
            log(f"{kind} run {i + 1}: all healthy {fmt(r['all'])}, stop {fmt(r['stop']['seconds'])}, left {len(r['stop']['left'])}")
            runs[kind].append(r)
    out["lifecycle"] = runs
    report_lifecycle(runs)


def report_lifecycle(runs: dict) -> None:
    A, B = runs["A"], runs["B"]
    print("\n## 1. Start to all-healthy\n")
    print(f"A = warm `dotnet run --no-build` of the AppHost; B = the same five processes started directly. "
          f"{len(A)} + {len(B)} runs, alternated (A B, B A, ...). Healthy = probes from outside: PostgreSQL `SELECT 1` "
          f"(SCRAM login), Redis `AUTH`+`PING`, `GET /health` 200 on api, app and scheduler, every {POLL * 1000:.0f} ms.\n")
    rows = [summary_row("A AppHost", [r["all"] for r in A]), summary_row("B bare processes", [r["all"] for r in B])]
    ma, mb = med([r["all"] for r in A]), med([r["all"] for r in B])
    print(table(["start → all healthy", "median", "min", "max", "runs"], rows))
    if ma and mb:
        print(f"\nRatio A/B (medians): **{ma / mb:.2f}** (target ≤ 1.5: {'met' if ma / mb <= 1.5 else f'missed by {ma / mb - 1.5:.2f}'}); "
              f"A absolute {ma:.2f} s (target ≤ 8 s: {'met' if ma <= 8 else f'missed by {ma - 8:.2f} s'}); A − B = {ma - mb:.2f} s.")

    print("\n### Profile: when each resource was spawned and became healthy (seconds after start, medians)\n")
    rows = []
    for res in ["AppHost", "dcp apiserver", "dcp run-controllers", "dashboard"] + RESOURCES:
        sa = med([r["spawned"].get(res) for r in A])
        ha = med([r["healthy"].get(res) for r in A]) if res in RESOURCES or res == "dashboard" else None
        sb = med([r["spawned"].get(res) for r in B]) if res in RESOURCES else None
        hb = med([r["healthy"].get(res) for r in B]) if res in RESOURCES else None
        rows.append([res, fmt(sa), fmt(ha), fmt(sb), fmt(hb)])
    print(table(["resource", "A spawned", "A healthy", "B spawned", "B healthy"], rows))

    def gap(runs_, spawn, after):
        return med([(r["spawned"].get(spawn) - max(r["healthy"][x] for x in after))
                    if r["spawned"].get(spawn) is not None and all(r["healthy"].get(x) for x in after) else None for r in runs_])

    def own(runs_, res):
        return med([(r["healthy"][res] - r["spawned"][res]) if r["healthy"].get(res) and r["spawned"].get(res) is not None else None
                    for r in runs_])

    def step(runs_, a, b):
        return med([(r["spawned"][b] - r["spawned"][a]) if r["spawned"].get(a) is not None and r["spawned"].get(b) is not None else None
                    for r in runs_])

    print("\nWhere A's time goes (medians). \"wait\" rows are the dependency gating (≈ 0: none; slightly negative: "
          "Aspire's own health check saw the dependency healthy before the outside probe did):\n")
    rows = [
        ["start → AppHost process (dotnet run CLI)", fmt(med([r["spawned"].get("AppHost") for r in A])), "—"],
        ["AppHost process → dcp apiserver spawned", fmt(step(A, "AppHost", "dcp apiserver")), "—"],
        ["dcp apiserver → dcp run-controllers spawned", fmt(step(A, "dcp apiserver", "dcp run-controllers")), "—"],
        ["dcp run-controllers → postgres/redis spawned", fmt(step(A, "dcp run-controllers", "postgres")), "—"],
        ["**start → postgres/redis spawned**", fmt(med([min(r["spawned"].get("postgres", 99), r["spawned"].get("redis", 99)) for r in A])),
         fmt(med([r["spawned"].get("postgres") for r in B]))],
        ["postgres own start (spawn → SELECT 1)", fmt(own(A, "postgres")), fmt(own(B, "postgres"))],
        ["redis own start (spawn → PONG)", fmt(own(A, "redis")), fmt(own(B, "redis"))],
        ["wait: postgres+redis healthy → api spawned", fmt(gap(A, "api", ["postgres", "redis"])), fmt(gap(B, "api", ["postgres", "redis"]))],
        ["api own start (spawn → /health 200)", fmt(own(A, "api")), fmt(own(B, "api"))],
        ["wait: api healthy → app spawned", fmt(gap(A, "app", ["api"])), fmt(gap(B, "app", ["api"]))],
        ["wait: api healthy → scheduler spawned", fmt(gap(A, "scheduler", ["postgres", "api"])), fmt(gap(B, "scheduler", ["postgres", "api"]))],
        ["app own start", fmt(own(A, "app")), fmt(own(B, "app"))],
        ["scheduler own start", fmt(own(A, "scheduler")), fmt(own(B, "scheduler"))],
    ]
    print(table(["segment", "A", "B"], rows))

    print("\n## 2. Stop (SIGTERM → every process of the run gone)\n")
    print("A: SIGTERM to the `dotnet run` process; tracked = its descendants plus the detached DCP api server that monitors "
          "the AppHost (and all their children: postgres backends, reloader workers, monitors). B: SIGTERM to postgres "
          "and redis-server, and to the process group of each Python service.\n")
    rows = [summary_row("A AppHost", [r["stop"]["seconds"] for r in A]), summary_row("B bare processes", [r["stop"]["seconds"] for r in B])]
    print(table(["stop", "median", "min", "max", "runs"], rows))
    sa, sb = med([r["stop"]["seconds"] for r in A]), med([r["stop"]["seconds"] for r in B])
    if sa and sb:
        print(f"\nRatio A/B: **{sa / sb:.2f}**. Processes tracked per A run: {med([r['stop']['count'] for r in A]):.0f}; "
              f"per B run: {med([r['stop']['count'] for r in B]):.0f}.")
    left = [l for r in A + B for l in r["stop"]["left"]]
    print(f"\nLeft after 60 s (then SIGKILLed): {len(left)} {left[:5] if left else ''}")
    groups = sorted({g for r in A for g in r["stop"]["groups"]})
    print("\nLast exit per group after SIGTERM (A, medians): " +
          ", ".join(f"{g} {fmt(med([r['stop']['groups'].get(g) for r in A]))}" for g in groups))
    groups = sorted({g for r in B for g in r["stop"]["groups"]})
    print("\nLast exit per group after SIGTERM (B, medians): " +
          ", ".join(f"{g} {fmt(med([r['stop']['groups'].get(g) for r in B]))}" for g in groups))

    print(f"\n## 3. Footprint after all healthy (+{ARGS.settle:.0f} s), from /proc (medians over runs, MB)\n")
    print("RSS counts shared pages (the .NET runtime, the dcp binary) once per process; PSS shares them out.\n")
    rows = []
    tot = {"A": [0.0, 0.0], "B": [0.0, 0.0]}
    orch = [0.0, 0.0]
    for g in ORCHESTRATION + RESOURCES:
        ra = [r["footprint"].get(g) for r in A]
        rb = [r["footprint"].get(g) for r in B]
        rss_a, pss_a = med([x[0] / 1024 if x else None for x in ra]), med([x[1] / 1024 if x else None for x in ra])
        n_a = med([x[2] if x else None for x in ra])
        rss_b, pss_b = med([x[0] / 1024 if x else None for x in rb]), med([x[1] / 1024 if x else None for x in rb])
        n_b = med([x[2] if x else None for x in rb])
        if g in ORCHESTRATION:
            orch[0] += rss_a or 0
            orch[1] += pss_a or 0
        tot["A"][0] += rss_a or 0
        tot["A"][1] += pss_a or 0
        tot["B"][0] += rss_b or 0
        tot["B"][1] += pss_b or 0
        rows.append([g, f"{n_a:.0f}" if n_a else "0", fmt(rss_a, "", 0), fmt(pss_a, "", 0),
                     f"{n_b:.0f}" if n_b else "—", fmt(rss_b, "", 0) if rss_b else "—", fmt(pss_b, "", 0) if pss_b else "—"])
    rows.append(["**orchestration (A)**", "", f"**{orch[0]:.0f}**", f"**{orch[1]:.0f}**", "", "", ""])
    rows.append(["**services**", "", f"{tot['A'][0] - orch[0]:.0f}", f"{tot['A'][1] - orch[1]:.0f}", "", f"{tot['B'][0]:.0f}", f"{tot['B'][1]:.0f}"])
    rows.append(["**total**", "", f"{tot['A'][0]:.0f}", f"{tot['A'][1]:.0f}", "", f"{tot['B'][0]:.0f}", f"{tot['B'][1]:.0f}"])
    print(table(["group", "A procs", "A RSS", "A PSS", "B procs", "B RSS", "B PSS"], rows))
    print(f"\nOrchestration target ≤ 500 MB: RSS {orch[0]:.0f} MB ({'met' if orch[0] <= 500 else f'missed by {orch[0] - 500:.0f} MB'}), "
          f"PSS {orch[1]:.0f} MB ({'met' if orch[1] <= 500 else f'missed by {orch[1] - 500:.0f} MB'}).")


# ----------------------------------------------------------------------------------------------- 4
def measure_publish(args, out: dict) -> None:
    print("\n## 4. Publish (warm, `--no-build`, no launch profile)\n")
    base = ["dotnet", "run", "--project", "AppHost", "--no-build", "--no-launch-profile", "--"]
    apphost = os.path.join(REPO, "AppHost", "bin", "Debug", "net10.0", "AppHost")
    kinds = {
        "compose: dotnet run … --operation publish --step publish": lambda d: base + ["--operation", "publish", "--step", "publish", "--output-path", d],
        "manifest: dotnet run … --publisher manifest": lambda d: base + ["--publisher", "manifest", "--output-path", os.path.join(d, "aspire-manifest.json")],
        "compose, AppHost binary directly (no dotnet run CLI)": lambda d: [apphost, "--operation", "publish", "--step", "publish", "--output-path", d],
    }
    res: dict[str, list] = {k: [] for k in kinds}
    files: dict[str, list] = {}
    fails: dict[str, str] = {}
    for i in range(args.runs + 1):  # first round untimed (warm-up)
        order = list(kinds) if i % 2 == 0 else list(reversed(kinds))
        for k in order:
            d = tempfile.mkdtemp(prefix="bench-publish-", dir=args.work)
            t0 = now()
            p = subprocess.run(kinds[k](d), cwd=REPO, capture_output=True, text=True)
            dt = now() - t0
            if p.returncode != 0:
                fails[k] = (p.stdout + p.stderr)[-800:]
                continue
            if i > 0:
                res[k].append(dt)
            files[k] = sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
            shutil.rmtree(d, ignore_errors=True)
    rows = [summary_row(k, v) for k, v in res.items()]
    print(table(["publish", "median", "min", "max", "runs"], rows))
    m = med(res[list(kinds)[0]])
    if m:
        print(f"\nTarget ≤ 3 s: {'met' if m <= 3 else f'missed by {m - 3:.2f} s'} ({m:.2f} s). "
              f"`dotnet run` CLI overhead ≈ {m - (med(res[list(kinds)[2]]) or m):.2f} s of it.")
    for k, fs in files.items():
        print(f"\n- {k.split(':')[0]} wrote: {', '.join(fs[:12])}{' …' if len(fs) > 12 else ''}")
    for k, why in fails.items():
        print(f"\n**{k} failed**:\n```\n{why}\n```")
    out["publish"] = {"times": res, "files": files, "fails": fails}


# ----------------------------------------------------------------------------------------------- 5
def wrk(url: str, args) -> dict:
    p = subprocess.run(["wrk", f"-t{args.wrk_threads}", f"-c{args.wrk_connections}", f"-d{args.wrk_seconds}s", "--latency", url],
                       capture_output=True, text=True)
    o = p.stdout

    def lat(q):
        m = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)\s*$", o, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", o)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", o)
    errors = re.search(r"Socket errors:.*", o)
    return {"rps": float(rps.group(1)) if rps else None, "p50": lat(50), "p99": lat(99),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(0) if errors else ""}


def http_call(method: str, port: int, path: str, body=None, key: bool = False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["X-API-Key"] = API_KEY
    t0 = time.perf_counter()
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    dt = time.perf_counter() - t0
    conn.close()
    return r.status, r.getheader("X-Cache"), data, dt


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))] if xs else None


def measure_datapath(args, out: dict) -> None:
    print("\n## 5. Data path (AppHost running, Development: uvicorn --reload, flask run, debug logging)\n")
    if not shutil.which("wrk"):
        print("wrk not installed (bench/run.sh installs it with apt-get): skipped.")
        return
    busy = wait_ports_free(list(A_PORTS.values()))
    if busy:
        print(f"Ports {busy} busy: skipped.")
        return
    a = RunA(args)
    try:
        r = a.start()
        if not r["ok"]:
            print(f"The AppHost did not become healthy ({r['healthy']}): skipped.")
            return
        pids, t = a.tracked()
        direct = {}
        for pid in pids:
            m = re.search(r"ichrisbirch\.wsgi_(api|app):\S+ .*--port (\d+)", t[pid][2])
            if m:
                direct[m.group(1)] = int(m.group(2))
        # Seed to ~50 habits.
        _, _, data, _ = http_call("GET", A_PORTS["api"], "/habits/")
        have = len(json.loads(data))
        for i in range(have, args.habits):
            http_call("POST", A_PORTS["api"], "/habits/", {"name": f"bench habit {i}", "category": "bench"}, key=True)
        _, _, data, _ = http_call("GET", A_PORTS["api"], "/habits/")
        n_habits = len(json.loads(data))
        _, cache, _, _ = http_call("GET", A_PORTS["api"], "/habits/")
        print(f"{n_habits} habits ({len(data)} bytes of JSON); second GET answered X-Cache: {cache}. "
              f"wrk -t{args.wrk_threads} -c{args.wrk_connections} -d{args.wrk_seconds}s --latency on loopback (wrk shares the 2 cores). "
              f"\"via DCP proxy\" = the fixed port (8000/5000) that DCP proxies; \"direct\" = the server's own port "
              f"(api {direct.get('api')}, app {direct.get('app')}) = the physical limit.\n")
        targets = {
            "api GET /habits/ (cache hit), via DCP proxy :8000": f"http://127.0.0.1:{A_PORTS['api']}/habits/",
            "api GET /habits/ (cache hit), direct": f"http://127.0.0.1:{direct.get('api')}/habits/",
            "app GET /habits/ (page → api), via DCP proxy :5000": f"http://127.0.0.1:{A_PORTS['app']}/habits/",
            "app GET /habits/ (page → api), direct": f"http://127.0.0.1:{direct.get('app')}/habits/",
        }
        res: dict[str, list] = {k: [] for k in targets}
        keys = list(targets)
        for i in range(args.wrk_runs):
            for pair in (keys[0:2], keys[2:4]):
                for k in (pair if i % 2 == 0 else list(reversed(pair))):
                    res[k].append(wrk(targets[k], args))
        rows = []
        for k, rs in res.items():
            rows.append([k, fmt(med([x["rps"] for x in rs]), "", 0), fmt(min(x["rps"] or 0 for x in rs), "", 0),
                         fmt(max(x["rps"] or 0 for x in rs), "", 0), fmt(med([x["p50"] for x in rs]), "ms"),
                         fmt(med([x["p99"] for x in rs]), "ms"), sum(x["non2xx"] for x in rs), len(rs)])
        print(table(["target", "req/s median", "min", "max", "p50", "p99", "non-2xx", "runs"], rows))
        for k1, k2 in (keys[0:2], keys[2:4]):
            a1, b1 = med([x["rps"] for x in res[k1]]), med([x["rps"] for x in res[k2]])
            if a1 and b1:
                print(f"\n{k1.split(',')[0]}: throughput proxy/direct = {a1 / b1:.2f}")
        errs = {k: [x["errors"] for x in rs if x["errors"]] for k, rs in res.items()}
        errs = {k: v for k, v in errs.items() if v}
        if errs:
            print(f"\nwrk socket errors: {errs}")

        # Miss path: POST (invalidates the cache) → GET (miss) → GET (hit) → DELETE, one request at a time.
        print(f"\nMiss path, {args.miss_loops} sequential loops of POST → GET (miss) → GET (hit) → DELETE, via the proxy and direct "
              "(latency of each GET, ms):\n")
        rows = []
        miss_out = {}
        for label, port in (("via DCP proxy :8000", A_PORTS["api"]), ("direct", direct.get("api"))):
            miss, hit, posts, tags = [], [], [], set()
            for i in range(args.miss_loops):
                st, _, data, dt = http_call("POST", port, "/habits/", {"name": f"bench miss {i}", "category": "bench"}, key=True)
                posts.append(dt * 1000)
                hid = json.loads(data)["id"] if st == 201 else None
                _, c1, _, d1 = http_call("GET", port, "/habits/")
                _, c2, _, d2 = http_call("GET", port, "/habits/")
                tags.add(f"{c1}/{c2}")
                miss.append(d1 * 1000)
                hit.append(d2 * 1000)
                if hid is not None:
                    http_call("DELETE", port, f"/habits/{hid}/", key=True)
            rows.append([f"GET miss, {label}", fmt(med(miss), "ms"), fmt(pct(miss, 99), "ms"), fmt(min(miss), "ms"), fmt(max(miss), "ms")])
            rows.append([f"GET hit, {label}", fmt(med(hit), "ms"), fmt(pct(hit, 99), "ms"), fmt(min(hit), "ms"), fmt(max(hit), "ms")])
            rows.append([f"POST (write + invalidate), {label}", fmt(med(posts), "ms"), fmt(pct(posts, 99), "ms"), fmt(min(posts), "ms"), fmt(max(posts), "ms")])
            miss_out[label] = {"miss": miss, "hit": hit, "post": posts, "x_cache": sorted(tags)}
        print(table(["request", "p50", "p99", "min", "max"], rows))
        print(f"\nX-Cache headers seen (first GET / second GET): {', '.join(sorted({t for v in miss_out.values() for t in v['x_cache']}))}")
        out["datapath"] = {"wrk": res, "miss": miss_out, "habits": n_habits}
    finally:
        try:
            a.stop()
        finally:
            a.kill()


# ----------------------------------------------------------------------------------------------- 6
def measure_tests(args, out: dict) -> None:
    print("\n## 6. Test suite (`bash scripts/test.sh`, once)\n")
    busy = wait_ports_free(list(A_PORTS.values()))
    trx_dir = os.path.join(args.work, "trx")
    env = dict(os.environ)
    env["PYTEST_ADDOPTS"] = (env.get("PYTEST_ADDOPTS", "") + " --durations=5").strip()
    # MSBuild reads environment variables as properties: adds a TRX logger (per-test durations) to dotnet test
    # without changing its console output (%3B is an escaped ';').
    env["VSTestLogger"] = "trx%3BLogFileName=bench.trx"
    env["VSTestResultsDirectory"] = trx_dir
    t0 = now()
    p = subprocess.run(["bash", "scripts/test.sh"], cwd=REPO, env=env, capture_output=True, text=True)
    wall = now() - t0
    text = p.stdout + p.stderr
    with open(os.path.join(args.work, "test.log"), "w") as f:
        f.write(text)
    last = [l for l in text.splitlines() if re.match(r"^\d+ passed, \d+ failed", l)]
    print(f"Wall time **{wall:.1f} s**, exit {p.returncode}, summary: `{last[-1] if last else 'n/a'}`"
          f"{' (ports busy at start: ' + str(busy) + ')' if busy else ''}.\n")
    slow = []
    m = re.search(r"slowest 5 durations =+\n(.*?)(?:\n\n|\n=)", text, re.S)
    if m:
        for line in m.group(1).splitlines():
            mm = re.match(r"\s*([\d.]+)s\s+(\w+)\s+(\S+)", line)
            if mm:
                slow.append((float(mm.group(1)), f"pytest {mm.group(2)} {mm.group(3)}"))
    try:
        tree = ET.parse(os.path.join(trx_dir, "bench.trx"))
        for el in tree.iter():
            if el.tag.endswith("UnitTestResult"):
                h, mi, s = el.get("duration", "0:0:0").split(":")
                slow.append((int(h) * 3600 + int(mi) * 60 + float(s), f"dotnet {el.get('testName')} ({el.get('outcome')})"))
    except (OSError, ET.ParseError) as e:
        print(f"(no TRX from dotnet test: {e})\n")
    slow.sort(reverse=True)
    print(table(["slowest tests", "seconds"], [[name, f"{sec:.2f}"] for sec, name in slow[:5]]))
    py_slow = [s for s in slow if s[1].startswith("pytest")][:5]
    if py_slow:
        print("\npytest's slowest five: " + "; ".join(f"{n[7:]} {s:.2f} s" for s, n in py_slow))
    out["tests"] = {"wall": wall, "exit": p.returncode, "summary": last[-1] if last else None, "slowest": slow[:10]}


# ----------------------------------------------------------------------------------------------- main
ARGS = None
TRACKED: set[tuple[int, float]] = set()  # (pid, start time) of every process a run owned


def main() -> int:
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each of A and B (start/stop/footprint, publish)")
    ap.add_argument("--only", default="lifecycle,publish,datapath,tests", help="comma list of lifecycle,publish,datapath,tests")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds after all-healthy before the footprint sample")
    ap.add_argument("--redis-password", default=None,
                    help="override the Development redis password (A: --Parameters:redis-password=…, B: requirepass); "
                         "default: appsettings.Development.json's")
    ap.add_argument("--habits", type=int, default=50)
    ap.add_argument("--wrk-runs", type=int, default=3)
    ap.add_argument("--wrk-seconds", type=int, default=5)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--wrk-connections", type=int, default=8)
    ap.add_argument("--miss-loops", type=int, default=40)
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()
    args.redis_override = args.redis_password is not None
    if args.redis_password is None:
        args.redis_password = REDIS_PASSWORD
    args.work = tempfile.mkdtemp(prefix="ichrisbirch-bench-")
    ARGS = args
    only = set(args.only.split(","))

    before = set(proc_table())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    print("# ichrisbirch Aspire benchmarks\n")
    print(table(["", ""], [
        ["commit", f"`{head}`" + (f" + uncommitted changes in {len(dirty.splitlines())} tracked file(s)" if dirty else "")],
        ["date", time.strftime("%Y-%m-%d %H:%M:%S %Z")],
        ["machine", f"{os.cpu_count()} CPUs (nproc), {model}, {mem} MB RAM"],
        ["loadavg at start", open("/proc/loadavg").read().split(" ")[:3]],
        ["dotnet SDK", dotnet],
        ["command", f"`bench/run.sh {' '.join(sys.argv[1:])}`".replace("` `", "`")],
        ["secrets", "Development defaults from appsettings.Development.json for A and B"
         + (" (redis password overridden: A `--Parameters:redis-password=…`, B the same `requirepass`)" if args.redis_override else "")],
    ]))
    others = [l for l in stray_processes(set()) if "ichrisbirch-bench" not in l]
    if others:
        print(f"\nAlready running when the benchmark started (other load on this machine): {len(others)} matching processes, e.g. "
              f"`{others[0][:100]}`")
    sys.stdout.flush()

    out: dict = {"commit": head, "loadavg": open("/proc/loadavg").read().strip()}
    steps = [("lifecycle", measure_lifecycle), ("publish", measure_publish), ("datapath", measure_datapath), ("tests", measure_tests)]
    for name, fn in steps:
        if name not in only:
            continue
        log(f"measure {name}")
        try:
            fn(args, out)
        except Exception as e:  # a benchmark prints figures; it never fails
            import traceback
            print(f"\n**{name} stopped by an error**: `{e!r}`\n```\n{traceback.format_exc()[-1500:]}\n```")
        sys.stdout.flush()

    t = proc_table()
    mine = [f"{pid} {t[pid][2][:100]}" for pid, st in TRACKED if pid in t and abs(t[pid][1] - st) < 0.02]
    busy = ports_free(list(A_PORTS.values()) + list(B_PORTS.values()))
    print(f"\n## Leftovers\n\nProcesses of the benchmark's runs still alive: {len(mine)}"
          + ("".join(f"\n- `{l}`" for l in mine) if mine else " (none)") + f"; A/B ports still bound: {busy or 'none'}.")
    left = stray_processes(before)
    if left:
        print(f"\nOther new processes matching postgres|redis-server|uvicorn|gunicorn|flask|dcp|Aspire (not the benchmark's; "
              f"other users of the machine): {len(left)}")
    print(f"\nloadavg at end: {open('/proc/loadavg').read().split(' ')[:3]}; logs in {args.work}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
