"""The measures: 1-3 start/stop/footprint (lifecycle), 4 publish, 5 data path, 6 test suite."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from time import sleep

from ichbench.probes import free_port, http_call, http_ok, log, now, ports_free, wait_load_below, wait_ports_free
from ichbench.report import fmt, med, pct, report_lifecycle, summary_row, table
from ichbench.targets import report_targets
from ichbench.runners import A_PORTS, REPO, Profile, RunA, RunB, replay_env

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure_lifecycle(args, out: dict) -> None:
    a_ports = list(A_PORTS.values())
    busy = ports_free(a_ports)
    if busy:
        print(f"\n**Start/stop/footprint skipped**: ports {busy} are busy (A needs 8000/5000/5432/6379/15888/19888 free).\n")
        return
    redis = args.redis_password if args.redis_override else None
    profiles = {"A": Profile.load("development", redis)}
    if args.before_root:
        profiles["A before"] = Profile.load("development", redis, root=args.before_root, label="A-before")
    # Warm-ups, untimed: A creates its data and database; its launches are what B replays.
    captured = None
    for kind, profile in sorted(profiles.items(), reverse=True):
        log(f"{kind}: warm-up run (untimed)")
        a = RunA(args, profile)
        try:
            r = a.start()
            if not r["ok"]:
                print(f"\n**{kind} did not become healthy in the warm-up** (exit {r['exit']}, healthy {r['healthy']}); see {args.work}\n")
                a.stop()
                return
            if kind == "A":
                captured = a.launches(r)
            a.stop()
        finally:
            a.kill()
    log("B: warm-up run (untimed): " + ", ".join(f"{n} after {d or 'nothing'}" for n, d in captured["after"].items()))
    b = RunB(args, captured, profiles["A"].secrets)
    try:
        r = b.start()
        b.stop()
        if not r["ok"]:
            print(f"\n**B did not become healthy in the warm-up** ({r['healthy']}); see {args.work}/b.log\n")
    finally:
        b.kill()

    kinds = [*profiles, "B"]
    runs: dict[str, list] = {k: [] for k in kinds}
    for i in range(args.runs):
        for kind in kinds[i % len(kinds):] + kinds[:i % len(kinds)]:  # rotated: each kind runs first once in turn
            busy = wait_ports_free(a_ports)
            if busy:
                log(f"ports still busy before {kind}{i + 1}: {busy}")
            load = wait_load_below(args.quiet_load)
            runner = RunA(args, profiles[kind]) if kind != "B" else RunB(args, captured, profiles["A"].secrets)
            log(f"{kind} run {i + 1}/{args.runs}: start (loadavg {load})")
            try:
                r = runner.start()
                r["loadavg"] = load  # at the run's start
                if kind != "B" and r["ok"]:
                    r["timeline"] = runner.timeline(r)
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
    report_targets(runs, args)
    report_lifecycle(runs, args.settle)


def measure_publish(args, out: dict) -> None:
    print("\n## 4. Publish (warm, `--no-build`, no launch profile)\n")
    base = ["dotnet", "run", "--project", "AppHost", "--no-build", "--no-launch-profile", "--"]
    apphost = os.path.join(REPO, "AppHost", "bin", "Debug", "net10.0", "AppHost")
    # The Kubernetes Ingress's host and TLS Secret: deployer input without a default (README, Publish: Kubernetes).
    k8s = ["--Ichrisbirch:Kubernetes:Host=bench.example.com", "--Ichrisbirch:Kubernetes:TlsSecretName=bench-example-com-tls"]
    kinds = {
        "compose: dotnet run … --operation publish --step publish": lambda d: base + ["--operation", "publish", "--step", "publish", "--output-path", d] + k8s,
        "manifest: dotnet run … --publisher manifest": lambda d: base + ["--publisher", "manifest", "--output-path", os.path.join(d, "aspire-manifest.json")] + k8s,
        "compose, AppHost binary directly (no dotnet run CLI)": lambda d: [apphost, "--operation", "publish", "--step", "publish", "--output-path", d] + k8s,
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


# ----------------------------------------------------------------------------------------------- 5
def measure_datapath(args, out: dict) -> None:
    if not shutil.which("wrk"):
        print("\n## 5. Data path\n\nwrk not installed (bench/run.sh installs it with apt-get): skipped.")
        return
    for name in args.profiles.split(","):
        redis_password = args.redis_password if args.redis_override and name == "development" else None
        results = {}
        if args.before_root:
            before = Profile.load(name, redis_password, root=args.before_root, label="A-before")
            results["A before"] = datapath_profile(args, before, bare=False)
        results["A"] = datapath_profile(args, Profile.load(name, redis_password))
        out.setdefault("datapath", {})[name] = results
        report_tail(name, results, args)


def report_tail(name: str, results: dict, args) -> None:
    """The port a user hits (:8000): p99 of each run and the throughput against B bare (issue #20's tail target)."""
    bare = med([x["rps"] for x in results.get("A", {}).get("wrk", {}).get("api GET /habits/, B bare", [])])
    rows = []
    for kind, result in results.items():
        for k, rs in result.get("wrk", {}).items():
            if ":8000" in k or ":5000" in k:
                rps = med([x["rps"] for x in rs])
                rows.append([f"{kind}: {k}", " / ".join(fmt(x["p99"], "", 1) for x in rs), fmt(max((x["p99"] or 0) for x in rs), "ms", 1),
                             fmt(rps, "", 0), f"{rps / bare:.2f}" if rps and bare and k.startswith("api") else "—"])
    print(f"\n### {name.capitalize()}: the tail where a user connects (target: p99 ≤ 20 ms in each of 5 runs at 16 "
          f"connections, ≥ 0.9 of B bare's throughput)\n")
    print(f"`wrk -c{args.wrk_connections}`, {args.wrk_runs} runs each; loadavg now {open('/proc/loadavg').read().split()[0]}.\n")
    print(table(["target", "p99 of each run (ms)", "worst p99", "req/s median", "/ B bare (api)"], rows))


def seed(port: int, key: str, habits: int) -> tuple[int, int]:
    """At least ``habits`` habits; returns (count, bytes of the list)."""
    _, _, data, _ = http_call("GET", port, "/habits/")
    for i in range(len(json.loads(data)), habits):
        http_call("POST", port, "/habits/", {"name": f"bench habit {i}", "category": "bench"}, key=key)
    _, _, data, _ = http_call("GET", port, "/habits/")
    return len(json.loads(data)), len(data)


def wrk_series(targets: dict[str, str], args) -> dict[str, list]:
    """args.wrk_runs rounds over the targets, order reversed every other round."""
    res: dict[str, list] = {k: [] for k in targets}
    for i in range(args.wrk_runs):
        for k in (list(targets) if i % 2 == 0 else list(reversed(targets))):
            res[k].append(wrk(targets[k], args))
    return res


def start_minimal(args, launches: dict, port: int) -> subprocess.Popen:
    """bench/minimal_api.py under the api's own server command, environment and directory; only app and port differ."""
    api_launch = launches["api"]
    argv = [a.replace("ichrisbirch.wsgi_api:api", "minimal_api:api") for a in api_launch.replay_argv()]
    argv = [str(port) if a == str(A_PORTS["api"]) else re.sub(rf":{A_PORTS['api']}$", f":{port}", a) for a in argv]
    argv = [a for a in argv if a != "--reload"]
    env = {**replay_env(api_launch, launches), "PYTHONPATH": BENCH}
    log_file = open(os.path.join(args.work, "minimal.log"), "ab")
    return subprocess.Popen(argv, cwd=api_launch.cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def datapath_profile(args, profile: Profile, bare: bool = True) -> dict:
    """A's ports (:8000, :5000) and its servers' own ports; with ``bare``, B and the minimal endpoint too."""
    title = f"\n## 5. Data path, {profile.name.capitalize()}, {profile.label} (`{' '.join(profile.command()[:2])}`"
    title += ", secrets supplied as `Parameters__*` variables)\n" if profile.name == "production" else ")\n"
    print(title)
    busy = wait_ports_free(list(A_PORTS.values()))
    if busy:
        print(f"Ports {busy} busy: skipped.")
        return {}
    a = RunA(args, profile)
    result: dict = {}
    try:
        r = a.start()
        if not r["ok"]:
            print(f"The AppHost did not become healthy ({r['healthy']}): skipped; see {args.work}.")
            return {}
        captured = a.launches(r)
        launches = captured["launches"]
        key = launches["api"].env.get("API_SECRET_KEY", "")
        n_habits, n_bytes = seed(A_PORTS["api"], key, args.habits)
        _, cache, _, _ = http_call("GET", A_PORTS["api"], "/habits/")
        direct = {n: min(launches[n].ports) for n in ("api", "app")}
        print(f"{n_habits} habits ({n_bytes} bytes of JSON); a repeated GET answers X-Cache: {cache}. "
              f"`wrk -t{args.wrk_threads} -c{args.wrk_connections} -d{args.wrk_seconds}s --latency` on loopback "
              f"(wrk shares the 2 cores), {args.wrk_runs} runs per target, alternated.\n")
        print(f"- api as launched: `{' '.join(launches['api'].argv)}`")
        print(f"- app as launched: `{' '.join(launches['app'].argv)}`\n")
        via = {n: "DCP proxy" if direct[n] != A_PORTS[n] else "proxyless: the server itself" for n in ("api", "app")}
        targets = {
            f"api GET /habits/, A :8000 ({via['api']})": f"http://127.0.0.1:{A_PORTS['api']}/habits/",
            "api GET /habits/, A direct": f"http://127.0.0.1:{direct['api']}/habits/",
            f"app GET /habits/, A :5000 ({via['app']})": f"http://127.0.0.1:{A_PORTS['app']}/habits/",
            "app GET /habits/, A direct": f"http://127.0.0.1:{direct['app']}/habits/",
        }
        if direct["api"] == A_PORTS["api"]:
            targets = {k: v for k, v in targets.items() if "A direct" not in k}
        result["wrk"] = wrk_series(targets, args)
        if bare:
            result["miss"] = miss_path(args, {":8000": A_PORTS["api"], "direct": direct["api"]}, key)
    finally:
        try:
            a.stop()
        finally:
            a.kill()
    if not bare:
        report_datapath(profile, result)
        return result

    b = RunB(args, captured, profile.secrets, label=f"b-{profile.name}")
    minimal = None
    try:
        busy = wait_ports_free(list(A_PORTS.values()))
        r = b.start()
        if not r["ok"]:
            print(f"B did not become healthy ({r['healthy']}); see {args.work}.")
        else:
            http_call("GET", A_PORTS["api"], "/habits/")  # fills the cache (B's Redis is A's, restarted)
            port = free_port()
            minimal = start_minimal(args, launches, port)
            end = now() + 60
            while not http_ok(port) and now() < end and minimal.poll() is None:
                sleep(0.1)
            same = http_call("GET", port, "/habits/")[2] == http_call("GET", A_PORTS["api"], "/habits/")[2]
            result["same_bytes"] = same
            result["wrk"].update(wrk_series({
                "api GET /habits/, B bare": f"http://127.0.0.1:{A_PORTS['api']}/habits/",
                "minimal endpoint, same bytes, same server": f"http://127.0.0.1:{port}/habits/",
                "app GET /habits/, B bare": f"http://127.0.0.1:{A_PORTS['app']}/habits/",
            }, args))
    finally:
        if minimal is not None:
            os.killpg(minimal.pid, signal.SIGTERM)
            minimal.wait(30)
        try:
            b.stop()
        finally:
            b.kill()
    report_datapath(profile, result)
    return result


def miss_path(args, ports: dict[str, int], key: str) -> dict:
    """POST (invalidates) → GET (miss) → GET (hit) → DELETE, one request at a time; latency of each."""
    out = {}
    for label, port in ports.items():
        miss, hit, posts, tags = [], [], [], set()
        for i in range(args.miss_loops):
            st, _, data, dt = http_call("POST", port, "/habits/", {"name": f"bench miss {i}", "category": "bench"}, key=key)
            posts.append(dt * 1000)
            _, c1, _, d1 = http_call("GET", port, "/habits/")
            _, c2, _, d2 = http_call("GET", port, "/habits/")
            tags.add(f"{c1}/{c2}")
            miss.append(d1 * 1000)
            hit.append(d2 * 1000)
            if st == 201:
                http_call("DELETE", port, f"/habits/{json.loads(data)['id']}/", key=key)
        out[label] = {"miss": miss, "hit": hit, "post": posts, "x_cache": sorted(tags)}
    return out


def report_datapath(profile: Profile, result: dict) -> None:
    res = result.get("wrk", {})
    rows = []
    for k, rs in res.items():
        rows.append([k, fmt(med([x["rps"] for x in rs]), "", 0), fmt(min(x["rps"] or 0 for x in rs), "", 0),
                     fmt(max(x["rps"] or 0 for x in rs), "", 0), fmt(med([x["p50"] for x in rs]), "ms"),
                     fmt(med([x["p99"] for x in rs]), "ms"), sum(x["non2xx"] for x in rs), len(rs)])
    print(table(["target", "req/s median", "min", "max", "p50", "p99", "non-2xx", "runs"], rows))
    rps = {k: med([x["rps"] for x in rs]) for k, rs in res.items()}
    p99 = {k: med([x["p99"] for x in rs]) for k, rs in res.items()}

    def ratio(a: str, b: str) -> str:
        ka = next((k for k in rps if k.startswith(a)), None)
        kb = next((k for k in rps if k.startswith(b)), None)
        return f"{rps[ka] / rps[kb]:.2f}" if ka and kb and rps[ka] and rps[kb] else "n/a"

    print("\nRatios of the medians (throughput): "
          f"api A proxy / B bare **{ratio('api GET /habits/, A :8000', 'api GET /habits/, B')}** (what the hop on :8000 costs), "
          f"A direct / B bare {ratio('api GET /habits/, A direct', 'api GET /habits/, B')}, "
          f"B bare / minimal endpoint **{ratio('api GET /habits/, B', 'minimal')}** (what the service code costs); "
          f"app A proxy / B bare **{ratio('app GET /habits/, A :5000', 'app GET /habits/, B')}**, "
          f"app A direct / B bare {ratio('app GET /habits/, A direct', 'app GET /habits/, B')}.")
    if "same_bytes" in result:
        print(f"\nThe minimal endpoint answered the same bytes as B's api: {'yes' if result['same_bytes'] else 'NO'}.")
    if profile.name == "production":
        api_k = next((k for k in rps if k.startswith("api GET /habits/, A :8000")), None)
        app_k = next((k for k in rps if k.startswith("app GET /habits/, A :5000")), None)
        if api_k and rps[api_k]:
            met = rps[api_k] >= 4000 and (p99[api_k] or 999) <= 20
            print(f"\nTarget api ≥ 4,000 req/s with p99 ≤ 20 ms (on :8000): **{'met' if met else 'not met'}** "
                  f"({rps[api_k]:.0f} req/s, p99 {fmt(p99[api_k], 'ms')}).")
        if app_k and rps[app_k]:
            print(f"Target app page ≥ 800 req/s (on :5000): **{'met' if rps[app_k] >= 800 else 'not met'}** "
                  f"({rps[app_k]:.0f} req/s).")
    miss = result.get("miss", {})
    if miss:
        print("\nMiss path, sequential POST → GET (miss) → GET (hit) → DELETE (latency of each request, ms):\n")
        rows = []
        for label, m in miss.items():
            for kind, xs in (("GET miss", m["miss"]), ("GET hit", m["hit"]), ("POST (write + invalidate)", m["post"])):
                rows.append([f"{kind}, {label}", fmt(med(xs), "ms"), fmt(pct(xs, 99), "ms"), fmt(min(xs), "ms"), fmt(max(xs), "ms")])
        print(table(["request", "p50", "p99", "min", "max"], rows))
        print(f"\nX-Cache headers seen (first GET / second GET): {', '.join(sorted({t for m in miss.values() for t in m['x_cache']}))}")
    sys.stdout.flush()
