#!/usr/bin/env bash
# Prepares the machine (idempotent) and starts the stack with the Aspire dashboard (http://localhost:15888).
# Extra arguments go to the AppHost, e.g. scripts/run.sh --environment Testing
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/bootstrap.sh"
exec dotnet run --project "$repo/AppHost" -- "$@"
