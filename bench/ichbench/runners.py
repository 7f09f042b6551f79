"""A = the AppHost run as a user runs it; B = the processes A launched, replayed by the benchmark.

B knows nothing of the AppHost's model: it reads, from /proc, what A's DCP started for each resource
(command, arguments, environment, working directory, user) and starts exactly that, in the order A
waited for (a resource starts once everything that was healthy before A spawned it is healthy). The one
change: each server listens on the port where A's proxy listened (A_PORTS), because B has no proxy, and a
``*_PORT`` variable that named a server's own port in A (services reach local PostgreSQL and Redis directly)
names that published port instead. redis-server overwrites its argv and environment in
place, so its command is rebuilt from ``INFO server`` (executable, config file) with the AppHost's
``--port``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

import redis

from ichbench import procfs, timeline
from ichbench.probes import Waiter, http_any, http_ok, now, pg_ready, redis_ping

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = os.path.join(REPO, "services")
# Where the AppHost publishes each resource (A's proxies; B's servers).
A_PORTS = {"api": 8000, "app": 5000, "postgres": 5432, "redis": 6379, "dashboard": 15888, "otlp": 19888}
TRACKED: set[tuple[int, float]] = set()  # (pid, start time) of every process a run owned
# Production has no secrets in its appsettings: the benchmark supplies them, as a deployer would.
PRODUCTION_SECRETS = {"postgres-password": "bench-production-postgres", "postgres-app-password": "bench-production-postgres-app",
                      "redis-password": "bench-production-redis",
                      "api-secret-key": "bench-production-api-key", "flask-secret-key": "bench-production-flask-key-0123456789",
                      "app-admin-password": "bench-production-admin-password"}


@dataclass
class Profile:
    name: str  # development | production
    secrets: dict[str, str]
    root: str = REPO  # the tree whose built AppHost runs (--before: an older commit, extracted and built)
    label: str = "A"

    @staticmethod
    def load(name: str, redis_password: str | None = None, root: str = REPO, label: str = "A") -> Profile:
        if name == "production":
            secrets = dict(PRODUCTION_SECRETS)
        else:
            try:
                with open(os.path.join(REPO, "AppHost", "appsettings.Development.json")) as f:
                    secrets = json.load(f).get("Parameters", {})
            except (OSError, ValueError):
                secrets = {}
        if redis_password is not None:
            secrets["redis-password"] = redis_password
        return Profile(name, secrets, root, label)

    @property
    def apphost_dir(self) -> str:
        return os.path.join(self.root, "AppHost")

    @property
    def apphost_dll(self) -> str:
        """scripts/run.sh's build (scripts/build-apphost.sh: ReadyToRun) where the tree has one, else the JIT build (older commits)."""
        ready = os.path.join(self.root, "artifacts", "ready", "publish", "AppHost", "release", "AppHost.dll")
        return ready if os.path.isfile(ready) else os.path.join(self.apphost_dir, "bin", "Debug", "net10.0", "AppHost.dll")

    def command(self) -> list[str]:
        """What scripts/run.sh execs (the built AppHost in its folder, no resident `dotnet run`), plus Aspire's
        health monitor at Debug so that the console says when Aspire saw each resource ready."""
        return ["dotnet", self.apphost_dll,
                "--Ichrisbirch:Infrastructure=Local", "--Logging:LogLevel:Aspire.Hosting.Health=Debug"]

    def env(self) -> dict[str, str]:
        # The dashboard keeps its login token (Production refuses the anonymous opt-in); any HTTP answer,
        # the login redirect included, counts as up.
        env = {k: v for k, v in os.environ.items() if k not in ("ASPIRE_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT")}
        env["DOTNET_ENVIRONMENT"] = self.name.capitalize()
        run_sh = os.path.join(self.root, "scripts", "run.sh")
        if os.path.isfile(run_sh) and "reloadConfigOnChange" in open(run_sh).read():  # as that tree's run.sh exports it
            env.setdefault("DOTNET_hostBuilder__reloadConfigOnChange", "false")
        if self.name == "production":
            env.update({f"Parameters__{k}": v for k, v in self.secrets.items()})
        return env


@dataclass
class Launch:
    """One resource process as A's DCP started it."""
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    uid: int
    gid: int
    ports: set[int] = field(default_factory=set)  # where it listened in A

    def replay_argv(self) -> list[str]:
        """A's arguments, listening on the published port instead of the proxy's target port."""
        published = A_PORTS.get(self.name)
        argv = list(self.argv)
        if published is not None and len(self.ports) == 1:
            target = str(next(iter(self.ports)))
            argv = [str(published) if a == target else re.sub(rf":{target}$", f":{published}", a) for a in argv]
        if self.uid != os.geteuid():
            argv = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--", *argv]
        return argv


def replay_env(launch: Launch, launches: dict[str, Launch]) -> dict[str, str]:
    """A's environment for B: a *_PORT that named a server's own port in A (services reach local PostgreSQL and
    Redis there, not through the proxy) names the port that server listens on in B."""
    moved = {str(next(iter(l.ports))): str(A_PORTS[n]) for n, l in launches.items() if n in A_PORTS and len(l.ports) == 1}
    return {k: moved.get(v, v) if k.endswith("_PORT") else v for k, v in launch.env.items()}


def probes(env_of: dict[str, dict[str, str]], secrets: dict[str, str]) -> dict:
    """Healthy = the same outside probes for A and B: SELECT 1 after a SCRAM login, AUTH + PING, GET /health."""
    api_env = env_of.get("api", {})
    pg_user = api_env.get("POSTGRES_USERNAME", "postgres")
    pg_password = api_env.get("POSTGRES_PASSWORD", secrets.get("postgres-password", ""))
    redis_password = api_env.get("REDIS_PASSWORD", secrets.get("redis-password", ""))
    return {
        "postgres": lambda: pg_ready(A_PORTS["postgres"], pg_user, pg_password),
        "redis": lambda: redis_ping(A_PORTS["redis"], redis_password),
        "api": lambda: http_ok(A_PORTS["api"]),
        "app": lambda: http_ok(A_PORTS["app"]),
    }


class RunA:
    """One warm `dotnet run` of the AppHost in the given profile (Local infrastructure)."""

    def __init__(self, args, profile: Profile):
        self.args, self.profile = args, profile
        self.proc = None
        self.t0 = None

    def roots(self, table_) -> set[int]:
        roots = {self.proc.pid}
        apphosts = {pid for pid in procfs.descendants({self.proc.pid}, table_) if procfs.classify(table_[pid][2]) == "AppHost"}
        for pid, (_, _, cmd) in table_.items():
            m = re.search(r"dcp start-apiserver --monitor (\d+)", cmd)
            if m and int(m.group(1)) in apphosts:
                roots.add(pid)
        return roots

    def tracked(self) -> tuple[set[int], dict]:
        t = procfs.proc_table()
        return procfs.descendants(self.roots(t), t), t

    def resource_pids(self) -> dict[str, int]:
        """The process DCP started for each resource (a child of dcp run-controllers)."""
        pids, t = self.tracked()
        controllers = {pid for pid in pids if "dcp run-controllers" in t[pid][2]}
        out = {}
        for pid in pids:
            group = procfs.classify(t[pid][2])
            if t[pid][0] in controllers and group in procfs.RESOURCES:
                out[group] = pid
        return out

    def scheduler_port(self) -> int | None:
        pid = self.resource_pids().get("scheduler")
        port = procfs.environ_of(pid).get("SCHEDULER_HEALTH_PORT") if pid else None
        return int(port) if port else None

    def start(self, timeout=120.0) -> dict:
        self.log = open(os.path.join(self.args.work, f"{self.profile.label.lower()}-{self.profile.name}.log"), "ab")
        self.dcp_log = tempfile.mkdtemp(prefix=f"dcp-{self.profile.label.lower()}-", dir=self.args.work)
        env = {**self.profile.env(), "DCP_DIAGNOSTICS_LOG_FOLDER": self.dcp_log, "DCP_DIAGNOSTICS_LOG_LEVEL": "info"}
        self.lines: list[tuple[float, str]] = []
        self.wall_minus_boot = time.time() - now()
        self.t0 = now()
        self.proc = subprocess.Popen(self.profile.command(), cwd=self.profile.apphost_dir, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        threading.Thread(target=self._read_console, daemon=True).start()
        deadline = self.t0 + timeout
        sched_port: list[int] = []

        def sched_probe():
            if not sched_port:
                p = self.scheduler_port()
                if p is None:
                    return False
                sched_port.append(p)
            return http_ok(sched_port[0])

        checks = {**probes({}, self.profile.secrets), "scheduler": sched_probe,
                  "dashboard": lambda: http_any(A_PORTS["dashboard"])}
        waiters = {name: Waiter(name, probe, deadline) for name, probe in checks.items()}
        for name in procfs.RESOURCES:
            while waiters[name].is_alive() and self.proc.poll() is None:
                waiters[name].join(0.2)
        waiters["dashboard"].join(2.0)
        for w in waiters.values():
            w.stop.set()
        healthy = {k: (w.at - self.t0 if w.at else None) for k, w in waiters.items()}
        pids, t = self.tracked()
        spawned = {}
        for pid in pids:
            g = procfs.classify(t[pid][2])
            if g in procfs.RESOURCES + ["AppHost", "dcp apiserver", "dcp run-controllers", "dashboard"]:
                at = t[pid][1] - self.t0
                spawned[g] = min(spawned.get(g, at), at)
        ok = all(healthy[r] is not None for r in procfs.RESOURCES)
        return {"ok": ok, "all": max(healthy[r] for r in procfs.RESOURCES) if ok else None, "healthy": healthy,
                "spawned": spawned, "exit": self.proc.poll()}

    def _read_console(self) -> None:
        """The AppHost's console into the log, each line stamped on arrival (its own timestamps)."""
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append((now(), raw.decode(errors="replace")))
            self.log.write(raw)
        self.log.flush()

    def timeline(self, started: dict) -> dict[str, float]:
        """Seconds after launch of each milestone (see ichbench.timeline); call once all are healthy."""
        marks = {**timeline.apphost_marks(self.lines, self.t0), **timeline.dcp_marks(self.dcp_log, self.t0, self.wall_minus_boot)}
        for group in ("AppHost", "dcp apiserver", "dcp run-controllers", "dashboard"):
            if started["spawned"].get(group) is not None:
                marks[f"process: {group}"] = started["spawned"][group]
        for name in procfs.RESOURCES + ["dashboard"]:
            if started["healthy"].get(name) is not None:
                marks[f"healthy: {name}"] = started["healthy"][name]
        return marks

    def launches(self, started: dict) -> dict:
        """What DCP launched for each resource, and the order A waited for (see the module docstring)."""
        pids, t = self.tracked()
        out: dict[str, Launch] = {}
        for name, pid in self.resource_pids().items():
            uid, gid = procfs.ids_of(pid)
            launch = Launch(name, procfs.argv_of(pid), procfs.environ_of(pid), procfs.cwd_of(pid), uid, gid,
                            procfs.listening_ports(procfs.descendants({pid}, t)))
            out[name] = launch
        if "redis" in out:
            out["redis"] = self._redis_launch(out["redis"], out.get("api"))
        spawned, healthy = started["spawned"], started["healthy"]
        after = {r: sorted(s for s in out if s != r and healthy.get(s) is not None and spawned.get(r) is not None
                           and healthy[s] <= spawned[r]) for r in out}
        return {"launches": out, "after": after}

    def _redis_launch(self, launch: Launch, api: Launch | None) -> Launch:
        password = (api.env if api else {}).get("REDIS_PASSWORD", self.profile.secrets.get("redis-password", ""))
        client = redis.Redis(host="127.0.0.1", port=A_PORTS["redis"], password=password or None, socket_timeout=2)
        try:
            info = client.info("server")
        finally:
            client.close()
        port = next(iter(launch.ports)) if launch.ports else info["tcp_port"]
        # Its environment is overwritten too; redis-server reads none, so B gives it the benchmark's own.
        return Launch("redis", [info["executable"], info["config_file"], "--port", str(port)], dict(os.environ),
                      launch.cwd, launch.uid, launch.gid, launch.ports)

    def footprint(self) -> dict:
        return procfs.footprint_of(*self.tracked())

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


class RunB:
    """The physical limit: A's resource processes, replayed directly by this script."""

    def __init__(self, args, captured: dict, secrets: dict[str, str], label: str = "b"):
        self.args, self.label = args, label
        self.launches: dict[str, Launch] = captured["launches"]
        self.after: dict[str, list[str]] = captured["after"]
        self.secrets = secrets
        self.procs: dict[str, subprocess.Popen] = {}

    def spawn(self, name: str) -> None:
        launch = self.launches[name]
        self.procs[name] = subprocess.Popen(launch.replay_argv(), cwd=launch.cwd, env=replay_env(launch, self.launches), stdout=self.log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def start(self, timeout=120.0) -> dict:
        self.log = open(os.path.join(self.args.work, f"{self.label}.log"), "ab")
        self.t0 = now()
        deadline = self.t0 + timeout
        checks = probes({n: launch.env for n, launch in self.launches.items()}, self.secrets)
        if "scheduler" in self.launches:
            port = int(self.launches["scheduler"].env.get("SCHEDULER_HEALTH_PORT", "0"))
            checks["scheduler"] = lambda: http_ok(port)
        spawned, w = {}, {}
        pending = [n for n in procfs.RESOURCES if n in self.launches]
        while pending and now() < deadline:
            for n in [n for n in pending if all(d in w and w[d].at for d in self.after.get(n, []))]:
                spawned[n] = now() - self.t0
                self.spawn(n)
                w[n] = Waiter(n, checks[n], deadline)
                pending.remove(n)
            time.sleep(0.005)
        for waiter in w.values():
            waiter.join()
        healthy = {n: (w[n].at - self.t0 if n in w and w[n].at else None) for n in procfs.RESOURCES}
        ok = all(healthy[r] is not None for r in procfs.RESOURCES)
        return {"ok": ok, "all": max(healthy.values()) if ok else None, "healthy": healthy, "spawned": spawned}

    def tracked(self) -> tuple[set[int], dict]:
        t = procfs.proc_table()
        return procfs.descendants({p.pid for p in self.procs.values()}, t), t

    def footprint(self) -> dict:
        return procfs.footprint_of(*self.tracked())

    def stop(self) -> dict:
        pids, t = self.tracked()

        def send():
            for p in self.procs.values():
                try:
                    os.killpg(p.pid, signal.SIGTERM)  # the server and its reloader / workers / backends
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


def stop_and_watch(pids: set[int], table_: dict, send, timeout=60.0) -> dict:
    """send() delivers the signal(s); returns stop time, per-group last exit, leftovers (SIGKILLed)."""
    TRACKED.update((pid, table_[pid][1]) for pid in pids if pid in table_)
    t0 = now()
    send()
    exits: dict[int, float] = {}
    remaining = set(pids)
    while remaining and now() - t0 < timeout:
        for pid in list(remaining):
            if not procfs.alive(pid):
                exits[pid] = now() - t0
                remaining.discard(pid)
        if remaining:
            time.sleep(0.02)
    total = now() - t0
    groups: dict[str, float] = {}
    for pid, at in exits.items():
        g = procfs.classify(table_.get(pid, (0, 0, ""))[2])
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
    for pid, (_, _, cmd) in procfs.proc_table().items():
        if pid not in before and pat.search(cmd) and pid != os.getpid():
            if "/work/" in cmd or not cmd.startswith("/tmp/"):
                out.append(f"{pid} {cmd[:120]}")
    return out
