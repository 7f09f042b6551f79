"""Benchmarks of the ichrisbirch Aspire AppHost against the physical limit.

Run through bench/run.sh (the services' venv: psycopg and redis-py answer the probes). Prints Markdown
tables; never fails (a measure that cannot run prints why).

  A = the built AppHost as scripts/run.sh runs it (`dotnet AppHost.dll` in AppHost/, Local infrastructure;
      DOTNET_ENVIRONMENT Development, or Production with the secrets supplied as Parameters__*), with DCP's
      diagnostics log on; `--before REV` adds "A before", the same for an older commit, alternated
  B = the processes A's DCP launched, replayed by the benchmark from /proc (see runners.py)

Measures: 0 issue #20's targets and the start-up timeline (timeline, targets), 1 start to all-healthy, 2 stop, 3 footprint (lifecycle), 4 publish, 5 data path
(Development and Production: api cached GET /habits/ and the app's /habits/ page, on :8000/:5000, direct,
B bare and a minimal endpoint sending the same bytes), 6 test suite.

Modules: trees (--before), procfs (reading /proc), probes (readiness, ports, clock), runners (A and B), measures, report.
"""
