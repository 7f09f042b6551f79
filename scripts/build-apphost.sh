#!/usr/bin/env bash
# Builds the AppHost as scripts/run.sh runs it and prints the path of its AppHost.dll: compiled ahead of time
# (ReadyToRun, for this machine's runtime, Release), so the AppHost's and Aspire's code does not wait for the JIT at
# every start: launch → DCP 0.55–0.80 s → 0.37–0.40 s (BENCHMARKS.md, issue #20). Its own folder, artifacts/ready,
# apart from the JIT build that F5, `dotnet run` and the tests use, so neither rebuilds the other; unchanged code is
# reused. The first run downloads the runtime packs crossgen compiles against (NuGet).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
artifacts="$repo/artifacts/ready"
# IsPublishable: Aspire's SDK turns `dotnet publish` of an AppHost off (its publish is `aspire publish`); this is the plain .NET one.
if ! log="$(dotnet publish "$repo/AppHost" --nologo -v q --use-current-runtime --self-contained false \
      -p:IsPublishable=true -p:PublishReadyToRun=true --artifacts-path "$artifacts" 2>&1)"; then
  printf '%s\n' "$log" >&2
  echo "build-apphost.sh: dotnet publish AppHost failed (output above)." >&2
  exit 1
fi
echo "$artifacts/publish/AppHost/release/AppHost.dll"
