#!/usr/bin/env bash
# The one test command: prepares the machine, then runs every suite and sums them.
#   1. the Python services' own pytest suite (throwaway PostgreSQL and Redis it starts itself)
#   2. the .NET suite (model, publish and end-to-end tests that start the AppHost with real processes)
#   3. the Docker tests (FullyQualifiedName~Docker): the published bundle built and run on the tests' own Docker
#      Engine (scripts/docker-test-engine.sh: installs docker.io/debootstrap where missing, needs root)
# Ends with the line "N passed, N failed". Exit status is non-zero when any suite failed.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/bootstrap.sh || exit 1

logs="$(mktemp -d)"
passed=0; failed=0; status=0

echo "== pytest (services)"
(cd services && .venv/bin/python -m pytest -q -p no:cacheprovider 2>&1) | tee "$logs/pytest.log"
py_status=${PIPESTATUS[0]}
summary="$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^(=+ )?no tests ran' "$logs/pytest.log" | tail -n 1)"
p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
f=0; for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | grep -oE '^[0-9]+'); do f=$((f + n)); done
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
if [ "$py_status" -ne 0 ]; then status=1; [ "${f:-0}" -gt 0 ] || failed=$((failed + 1)); fi

echo "== dotnet format --verify-no-changes"
if ! dotnet format "$repo/Ichrisbirch.Aspire.sln" --verify-no-changes 2>&1 | tee "$logs/format.log"; then
  echo "dotnet format: the C# above is not in the house style (.editorconfig); run: dotnet format Ichrisbirch.Aspire.sln"
  status=1; failed=$((failed + 1))
fi

# Adds a dotnet test run's "Failed: N, Passed: N" line (from log $1, exit status $2) to the totals.
count_dotnet() {
  local line p f
  line="$(grep -E '(Passed|Failed)!? +- Failed: +[0-9]+, Passed: +[0-9]+' "$1" | tail -n 1)"
  p=$(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$line"); f=$(sed -nE 's/.*Failed: +([0-9]+), Passed.*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ "$2" -ne 0 ]; then status=1; [ "${f:-0}" -gt 0 ] || failed=$((failed + 1)); fi
}

echo "== dotnet test (without the Docker tests)"
dotnet test "$repo/Ichrisbirch.Aspire.sln" --nologo --filter "FullyQualifiedName!~Docker" 2>&1 | tee "$logs/dotnet.log"
count_dotnet "$logs/dotnet.log" "${PIPESTATUS[0]}"

echo "== dotnet test (Docker: the published bundle on the tests' own Docker Engine)"
docker_start=$SECONDS
dotnet test "$repo/Tests" --nologo --no-build --filter "FullyQualifiedName~Docker" 2>&1 | tee "$logs/docker.log"
count_dotnet "$logs/docker.log" "${PIPESTATUS[0]}"
echo "Docker tests: $((SECONDS - docker_start)) s wall time"
if bash scripts/docker-test-engine.sh status; then   # the tests stop it: one still answering is a failure
  echo "Docker tests left their engine running: stopping it"; bash scripts/docker-test-engine.sh stop
  status=1; failed=$((failed + 1))
fi

rm -rf "$logs"
echo "${passed} passed, ${failed} failed"
exit $status
