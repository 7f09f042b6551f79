#!/usr/bin/env bash
# Prepares the machine (idempotent), builds the AppHost and runs the built AppHost in its folder: no `dotnet run`
# stays resident. The dashboard is at http://localhost:15888; open the "Login to the dashboard at …" URL it prints.
# Extra arguments go to the AppHost, e.g. scripts/run.sh --environment Testing
#   --anonymous-dashboard   open the dashboard without its login token (refused in Production)
# Settings come from AppHost/appsettings*.json, as with `dotnet run --project AppHost` and F5; the environment is
# Development unless DOTNET_ENVIRONMENT or --environment says otherwise.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
args=()
for arg in "$@"; do
  case "$arg" in
    --anonymous-dashboard) export ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true ;;
    *) args+=("$arg") ;;
  esac
done
bash "$repo/scripts/bootstrap.sh"
apphost_dll="$(bash "$repo/scripts/build-apphost.sh")" # compiled ahead of time: see the script
if [ -z "${DOTNET_ENVIRONMENT:-}${ASPIRE_ENVIRONMENT:-}" ]; then export DOTNET_ENVIRONMENT=Development; fi
# The AppHost reads appsettings*.json and user secrets once: no file watchers to set up (launch -> DCP about 0.1 s
# shorter, BENCHMARKS.md issue #20). Restart the AppHost after changing a setting, as with every setting before.
export DOTNET_hostBuilder__reloadConfigOnChange="${DOTNET_hostBuilder__reloadConfigOnChange:-false}"
cd "$repo/AppHost" # the content root: appsettings*.json and the env files are read from here
exec dotnet "$apphost_dll" ${args[@]+"${args[@]}"}
