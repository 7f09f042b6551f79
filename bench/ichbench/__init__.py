"""Benchmarks of the ichrisbirch Aspire AppHost against the physical limit.

Run through bench/run.sh (the services' venv: psycopg and redis-py answer the probes). Prints Markdown
tables; never fails (a measure that cannot run prints why).

  A = warm `dotnet run --no-build --project AppHost -- --Ichrisbirch:Infrastructure=Local`
      (Development, or Production with `--launch-profile production` and secrets supplied)
  B = the processes A's DCP launched, replayed by the benchmark from /proc (see runners.py)

Measures: 1 start to all-healthy, 2 stop, 3 footprint (lifecycle), 4 publish, 5 data path
(Development and Production: api cached GET /habits/ and the app's /habits/ page, via the proxy, direct,
B bare and a minimal endpoint sending the same bytes), 6 test suite.

Modules: procfs (reading /proc), probes (readiness, ports, clock), runners (A and B), measures, report.
"""
