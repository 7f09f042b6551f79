"""The start-up timeline of one AppHost run: launch → AppHost → DCP → first spawn → each resource healthy.

Three clocks are joined on the boot clock (``probes.now``): /proc start times of the processes, the AppHost's
console lines stamped as they arrive, and DCP's diagnostics log (``DCP_DIAGNOSTICS_LOG_FOLDER``, JSON lines with
wall-clock ``ts``), shifted by the wall − boot offset taken at launch.
"""

from __future__ import annotations

import glob
import json
import os
import re
from datetime import datetime

# AppHost console lines worth a time: the first line of each (arrival time), and per-resource readiness from
# Aspire's health monitor (logged at Debug by Aspire.Hosting.Health, which the benchmark turns on).
APPHOST_MARKS = {
    "apphost: first log line": re.compile(r"Aspire AppHost version"),
    "apphost: dashboard listening": re.compile(r"Now listening on"),
    "apphost: \"Distributed application started\"": re.compile(r"Distributed application started"),
}
READY = re.compile(r"Resource '([\w-]+)' is ready")
EXECUTABLE = re.compile(r"^/?([a-z][\w-]*?)-[a-z0-9]{8}$")  # DCP's instance name: NAME-xxxxxxxx


def apphost_marks(lines: list[tuple[float, str]], t0: float) -> dict[str, float]:
    out: dict[str, float] = {}
    for at, line in lines:
        for key, rx in APPHOST_MARKS.items():
            if key not in out and rx.search(line):
                out[key] = at - t0
        m = READY.search(line)
        if m and f"aspire sees {m.group(1)} ready" not in out:
            out[f"aspire sees {m.group(1)} ready"] = at - t0
    return out


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def dcp_marks(folder: str, t0: float, wall_minus_boot: float) -> dict[str, float]:
    """Seconds after launch of DCP's own milestones, read from its diagnostics log."""
    out: dict[str, float] = {}

    def put(key: str, wall: float) -> None:
        at = wall - wall_minus_boot - t0
        out[key] = min(out.get(key, at), at)

    for path in glob.glob(os.path.join(folder, "*-info-*.log")):
        put("dcp info (log file created)", os.stat(path).st_mtime)
    for path in sorted(glob.glob(os.path.join(folder, "*.log"))):
        try:
            with open(path, errors="replace") as f:
                for raw in f:
                    try:
                        rec = json.loads(raw)
                        wall = _ts(rec["ts"])
                    except (ValueError, KeyError):
                        continue
                    msg = rec.get("msg", "")
                    if msg == "Starting API server...":
                        put("dcp: \"Starting API server\"", wall)
                    elif msg == "API server started":
                        put("dcp: \"API server started\"", wall)
                    elif msg == "Starting controller manager":
                        put("dcp: controller manager starting", wall)
                    elif msg == "Starting process...":
                        m = EXECUTABLE.match(rec.get("Executable", ""))
                        name = m.group(1) if m else rec.get("Executable", "?")
                        put("dcp: first spawn", wall)
                        put(f"dcp spawns {name}", wall)
        except OSError:
            continue
    return out
