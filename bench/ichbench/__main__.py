"""``python -m ichbench`` (bench/run.sh runs it with the services' venv)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import ichbench
from ichbench import procfs, runners, trees
from ichbench.measures import measure_datapath, measure_lifecycle, measure_publish, measure_tests
from ichbench.probes import log, ports_free
from ichbench.report import table
from ichbench.steps import measure_steps
from ichbench.runners import A_PORTS, REPO


def main() -> int:
    ap = argparse.ArgumentParser(description=ichbench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each of A and B (start/stop/footprint, publish)")
    ap.add_argument("--only", default="lifecycle,publish,datapath,steps,tests", help="comma list of lifecycle,publish,datapath,steps,tests")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds after all-healthy before the footprint sample")
    ap.add_argument("--redis-password", default=None,
                    help="override the Development redis password (A: --Parameters:redis-password=…, B: requirepass); "
                         "default: appsettings.Development.json's")
    ap.add_argument("--quiet-load", type=float, default=None, metavar="L",
                    help="start/stop/footprint: before each run, wait (up to 120 s) for the 1-min load average below L")
    ap.add_argument("--habits", type=int, default=50)
    ap.add_argument("--wrk-runs", type=int, default=3)
    ap.add_argument("--wrk-seconds", type=int, default=8)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--wrk-connections", type=int, default=16)
    ap.add_argument("--profiles", default="development,production", help="data path: comma list of development,production")
    ap.add_argument("--miss-loops", type=int, default=40)
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--before", metavar="REV", help="also measure this older commit (extracted and built under the work folder), "
                    "alternated with the working tree: start/stop/footprint and the data path get before/after columns")
    args = ap.parse_args()
    args.redis_override = args.redis_password is not None
    args.work = tempfile.mkdtemp(prefix="ichrisbirch-bench-")
    only = set(args.only.split(","))
    args.before_root = args.before_desc = None
    if args.before:
        args.before_desc = trees.describe(args.before)
        args.before_root = trees.prepare(args.before, args.work)

    before = set(procfs.proc_table())
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
        ["before", f"`{args.before_desc}`" if args.before else "—"],
        ["command", f"`bench/run.sh {' '.join(sys.argv[1:])}`".replace("` `", "`")],
        ["secrets", "Development: appsettings.Development.json's defaults; Production: the benchmark's own, as `Parameters__*`"
         + (" (Development redis password overridden)" if args.redis_override else "")],
    ]))
    others = [l for l in runners.stray_processes(set()) if "ichrisbirch-bench" not in l]
    if others:
        print(f"\nAlready running when the benchmark started (other load on this machine): {len(others)} matching processes, e.g. "
              f"`{others[0][:100]}`")
    sys.stdout.flush()

    out: dict = {"commit": head, "loadavg": open("/proc/loadavg").read().strip()}
    steps = [("lifecycle", measure_lifecycle), ("publish", measure_publish), ("datapath", measure_datapath), ("steps", measure_steps),
             ("tests", measure_tests)]
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

    t = procfs.proc_table()
    mine = [f"{pid} {t[pid][2][:100]}" for pid, st in runners.TRACKED if pid in t and abs(t[pid][1] - st) < 0.02]
    busy = ports_free(list(A_PORTS.values()))
    print(f"\n## Leftovers\n\nProcesses of the benchmark's runs still alive: {len(mine)}"
          + ("".join(f"\n- `{l}`" for l in mine) if mine else " (none)") + f"; A/B ports (8000/5000/5432/6379/15888/19888) still bound: {busy or 'none'}.")
    left = runners.stray_processes(before)
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
