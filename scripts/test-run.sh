#!/usr/bin/env bash
# Runs the services' live pytest suite once against the Testing stack, as `docker compose up --exit-code-from test-runner`
# did: starts the stack, runs pytest when api, app and scheduler are healthy, prints pytest's output, stops everything
# and exits with pytest's status.
#   scripts/test-run.sh                               # the whole live suite (tests/live)
#   scripts/test-run.sh tests/live/test_stack.py -x   # a selection: pytest arguments, paths relative to services/
# Ports are chosen at random, so it runs beside a Development stack. More AppHost arguments: APPHOST_ARGS="...".
# TEST_RUN_NO_BUILD=1 skips the build (the AppHost must be built already).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/bootstrap.sh" >&2

for arg in "$@"; do
  case "$arg" in
    *" "*) echo "test-run: the pytest argument '$arg' contains a space; pass arguments without spaces (e.g. -k name_part)" >&2; exit 2 ;;
  esac
done
selection="${*:-tests/live}"

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
build=(); [ "${TEST_RUN_NO_BUILD:-}" = "1" ] && build=(--no-build)

# The dashboard is not needed for a test run, but the AppHost always starts one: give it free ports.
export ASPNETCORE_URLS="http://127.0.0.1:$(free_port)"
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="http://127.0.0.1:$(free_port)"
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true
export DOTNET_ENVIRONMENT=Testing

# shellcheck disable=SC2086 # APPHOST_ARGS is a list of arguments
exec dotnet run --project "$repo/AppHost" --no-launch-profile "${build[@]}" -- \
  --environment Testing --DcpPublisher:RandomizePorts=true \
  --Ichrisbirch:TestRunner=true --Ichrisbirch:ExitWithTestRunner=true \
  "--Ichrisbirch:TestRunnerArgs=$selection" ${APPHOST_ARGS:-}
