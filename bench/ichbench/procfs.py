"""Reading processes from /proc: the tree, start times, command lines, environments, memory, listening ports."""

from __future__ import annotations

import os

HZ = os.sysconf("SC_CLK_TCK")
RESOURCES = ["postgres", "redis", "api", "app", "scheduler"]


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
    if "AppHost/bin/" in cmd or "/AppHost.dll" in cmd:
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


def argv_of(pid: int) -> list[str]:
    """The process's arguments as it was started (unless it rewrote them: redis-server does)."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        raw = f.read()
    return [a.decode(errors="surrogateescape") for a in raw.split(b"\0")[:-1]]


def cwd_of(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/cwd")


def ids_of(pid: int) -> tuple[int, int]:
    """(real uid, real gid)."""
    uid = gid = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
            elif line.startswith("Gid:"):
                gid = int(line.split()[1])
    return uid, gid


def listening_ports(pids: set[int]) -> set[int]:
    """TCP ports (IPv4/IPv6) on which any of ``pids`` holds a listening socket."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return ports
