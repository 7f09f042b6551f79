"""Issue #20's figures: the start-up timeline and the targets, A (and A before, with --before REV) against B."""

from __future__ import annotations

from ichbench.procfs import ORCHESTRATION, RESOURCES
from ichbench.report import fmt, med, table

TARGETS = [
    # (label, target text, limit or None, function of one A run → value)
    ("launch → DCP api-server process", "≤ 0.5 s", 0.5, lambda r: r["timeline"].get("process: dcp apiserver")),
    ("DCP's own start: api-server process → first spawn (DCP's, exempt)", "reported", None,
     lambda r: _minus(r["timeline"].get("dcp: first spawn"), r["timeline"].get("process: dcp apiserver"))),
    ("first spawn → all five healthy", "≤ 2.0 s", 2.0, lambda r: _minus(r["all"], r["timeline"].get("dcp: first spawn"))),
    ("launch → all five healthy", "—", None, lambda r: r["all"]),
    ("stop: SIGTERM → nothing left", "≤ 2.0 s", 2.0, lambda r: r["stop"]["seconds"]),
]


# Segments of one run (later milestone − earlier one), so that the median is of each run's own gap, not of
# milestones taken from different runs.
SEGMENTS = [
    ("launch → AppHost's first console line (runtime, model, start hooks)", "apphost: first log line", None),
    ("AppHost's first line → DCP api-server process (host services, `dcp info`)", "process: dcp apiserver", "apphost: first log line"),
    ("`dcp info` started → DCP api-server process", "process: dcp apiserver", "dcp info (log file created)"),
    ("DCP api-server process → \"API server started\" (DCP)", "dcp: \"API server started\"", "process: dcp apiserver"),
    ("\"API server started\" → first spawn (DCP)", "dcp: first spawn", "dcp: \"API server started\""),
    ("postgres: spawn → answers SQL", "healthy: postgres", "dcp spawns postgres"),
    ("gate: postgres answers → Aspire sees it ready", "aspire sees postgres ready", "healthy: postgres"),
    ("gate: Aspire sees postgres ready → database ready (postgres-db)", "aspire sees postgres-db ready", "aspire sees postgres ready"),
    ("gate: database ready → api spawned", "dcp spawns api", "aspire sees postgres-db ready"),
    ("api: spawn → /health 200", "healthy: api", "dcp spawns api"),
    ("gate: api answers → Aspire sees it ready", "aspire sees api ready", "healthy: api"),
    ("gate: Aspire sees api ready → app spawned", "dcp spawns app", "aspire sees api ready"),
    ("app: spawn → /health 200", "healthy: app", "dcp spawns app"),
    ("scheduler: spawn → /health 200", "healthy: scheduler", "dcp spawns scheduler"),
    ("dashboard: spawn → answers", "healthy: dashboard", "process: dashboard"),
]


def _minus(a, b):
    return a - b if a is not None and b is not None else None


def orchestration_pss(r) -> float | None:
    fp = r.get("footprint") or {}
    return sum(fp[g][1] for g in ORCHESTRATION if g in fp) / 1024 if fp else None


def orchestration_pss_but_monitors(r) -> float | None:
    """The same without DCP's monitor helpers: one per executable, DCP's by design (issue #20 lets it stand apart)."""
    fp = r.get("footprint") or {}
    return sum(fp[g][1] for g in ORCHESTRATION if g in fp and g != "dcp monitor-process") / 1024 if fp else None


def _cell(runs: list, fn, unit="s", nd=2) -> str:
    xs = []
    for r in runs:
        try:
            xs.append(fn(r) if r.get("ok") and "timeline" in r else None)
        except (KeyError, TypeError):
            xs.append(None)
    m = med(xs)
    return f"**{fmt(m, unit, nd)}** ({' / '.join(fmt(x, '', nd) for x in xs)})" if m is not None else "n/a"


def report_targets(runs: dict, args) -> None:
    a_kinds = [k for k in ("A before", "A") if k in runs]
    loads = [r.get("loadavg") for k in runs for r in runs[k] if r.get("loadavg") is not None]
    print("\n## 0. Issue #20 targets: start timeline, stop, orchestration memory (Development, the `scripts/run.sh` launch)\n")
    print(f"A = `dotnet AppHost.dll` in AppHost/ (what scripts/run.sh execs: scripts/build-apphost.sh's ReadyToRun build where the commit has that script, else the JIT build), DOTNET_ENVIRONMENT=Development, Local mode; "
          + (f"A before = the same for `{args.before}` ({args.before_desc}), extracted and built by the benchmark; " if "A before" in runs else "")
          + f"runs rotated. Medians **bold**, each run in brackets. Load average (1 min) at the start of each run: "
          f"{min(loads, default=0):.1f}–{max(loads, default=0):.1f}"
          + (" — **the machine was not quiet: read the before/after difference, not the absolute figures.**" if max(loads, default=0) >= 1 else ".")
          + "\n")
    rows = [[label, target, *(_cell(runs[k], fn) for k in a_kinds)] for label, target, _, fn in TARGETS]
    rows.append(["orchestration PSS (AppHost, dashboard, DCP and its monitors)", "≤ 450 MB",
                 *(_cell(runs[k], orchestration_pss, "MB", 0) for k in a_kinds)])
    rows.append(["… of it outside DCP's monitor helpers (one per executable: DCP's by design)", "≤ 450 MB",
                 *(_cell(runs[k], orchestration_pss_but_monitors, "MB", 0) for k in a_kinds)])
    print(table(["", "target", *a_kinds], rows))

    print("\n### Start-up timeline (seconds after launch, medians)\n")
    print("`process:` = start time from /proc; `dcp…` = DCP's diagnostics log (DCP_DIAGNOSTICS_LOG_FOLDER); `apphost:` and "
          "`aspire sees … ready` = the AppHost's console lines, stamped on arrival (Aspire.Hosting.Health at Debug); "
          "`healthy:` = the benchmark's own protocol probes (SQL, PING, GET /health) every 25 ms.\n")
    keys: dict[str, float] = {}
    for k in a_kinds:
        for r in runs[k]:
            for key, at in (r.get("timeline") or {}).items():
                keys.setdefault(key, at)
    order = sorted(keys, key=lambda key: med([r["timeline"].get(key) for k in a_kinds for r in runs[k] if r.get("timeline")]) or 0)
    shown = RESOURCES + ["aspire-dashboard", "postgres-db"]
    rows = [[key, *(fmt(med([(r.get("timeline") or {}).get(key) for r in runs[k]])) for k in a_kinds)] for key in order
            if not key.startswith(("dcp spawns ", "aspire sees ")) or key.split(" ")[2] in shown]
    print(table(["milestone", *a_kinds], rows))

    print("\n### Where the start goes: each run's own gaps (medians of the per-run differences, seconds)\n")
    rows = []
    for label, later, earlier in SEGMENTS:
        cells = []
        for k in a_kinds:
            xs = [_minus((r.get("timeline") or {}).get(later), (r.get("timeline") or {}).get(earlier) if earlier else 0.0) for r in runs[k]]
            m = med(xs)
            cells.append(f"{fmt(m)} ({' / '.join(fmt(x, '', 2) for x in xs)})" if m is not None else "n/a")
        rows.append([label, *cells])
    print(table(["segment", *a_kinds], rows))
