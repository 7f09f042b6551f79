#!/usr/bin/env bash
# Benchmarks of the AppHost against the physical limit. Prints Markdown; never fails.
#   bench/run.sh                      # everything: start/stop/footprint, publish, data path, test suite (~20 min)
#   bench/run.sh --only datapath      # the data path only, Development and Production (~8 min)
#   bench/run.sh --only datapath --profiles production --wrk-runs 5
#   bench/run.sh --runs 3 --only lifecycle,publish
# Needs: scripts/bootstrap.sh done (services/.venv: psycopg, redis-py),
# ports 8000/5000/5432/6379/15888/19888 free.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
if ! command -v wrk >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null 2>&1 || echo "# wrk not installed: the data path is skipped" >&2
fi
# A is what scripts/run.sh runs: its build (compiled ahead of time), refreshed like run.sh does it.
bash scripts/build-apphost.sh >/dev/null || echo "# scripts/build-apphost.sh failed" >&2
python="$repo/services/.venv/bin/python"
[ -x "$python" ] || { echo "# services/.venv missing: run scripts/bootstrap.sh" >&2; exit 0; }
PYTHONPATH="$repo/bench${PYTHONPATH:+:$PYTHONPATH}" "$python" -m ichbench "$@"
exit 0
