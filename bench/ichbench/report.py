"""Statistics and Markdown tables."""

from __future__ import annotations

import statistics

from ichbench.procfs import ORCHESTRATION, RESOURCES
from ichbench.probes import POLL


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


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))] if xs else None


def report_lifecycle(runs: dict, settle: float) -> None:
    A, B = runs["A"], runs["B"]
    print("\n## 1. Start to all-healthy\n")
    print(f"A = the built AppHost (`dotnet AppHost.dll`, as scripts/run.sh); B = the five processes A launched, replayed by the benchmark "
          f"(command, arguments, environment, directory and user read from /proc, each listening where A's proxy listened). "
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
    print("A: SIGTERM to the AppHost process; tracked = its descendants plus the detached DCP api server that monitors "
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

    print(f"\n## 3. Footprint after all healthy (+{settle:.0f} s), from /proc (medians over runs, MB)\n")
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
