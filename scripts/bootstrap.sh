#!/usr/bin/env bash
# Prepares a machine to run and test ichrisbirch under the Aspire AppHost. Idempotent: run it as often as you like.
# Debian/Ubuntu: installs PostgreSQL, Redis and the Python packages from apt and makes services/.venv with
# --system-site-packages from /usr/bin/python3 (no PyPI needed). Elsewhere: makes the venv and pip-installs
# services/requirements-dev.txt.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/services/.venv"

apt_packages=(
  postgresql redis-server python3-venv python3-pip
  python3-fastapi python3-uvicorn python3-flask python3-sqlalchemy python3-psycopg python3-redis
  python3-apscheduler python3-httpx python3-pytest gunicorn python3-uvloop python3-httptools python3-urllib3
  docker-compose python3-jsonschema python3-yaml nginx-light openssl
  python3-debugpy python3-wheel python3-setuptools
)

say() { printf 'bootstrap: %s\n' "$*"; }

if command -v apt-get >/dev/null 2>&1 && [ -r /etc/debian_version ]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  python=/usr/bin/python3
  if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv (system site packages)"
    "$python" -m venv --system-site-packages "$venv"
  fi
else
  python="$(command -v python3 || true)"
  [ -n "$python" ] || { echo "bootstrap: python3 not found: install Python 3.11+" >&2; exit 1; }
  if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    "$python" -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$repo/services/requirements-dev.txt"
  command -v redis-server >/dev/null || say "warning: redis-server not on PATH (install Redis, or set Ichrisbirch:Local:RedisServerPath)"
fi

# Bytecode ahead of the first start: the services then import their own modules without compiling them (also where
# PYTHONDONTWRITEBYTECODE is set, which stops Python from ever caching them). Only changed files are compiled again.
"$venv/bin/python" -m compileall -q "$repo/services/ichrisbirch" >/dev/null

# Fail here, with the name of what is missing, rather than later inside a resource.
"$venv/bin/python" - <<'PY'
import importlib.util, sys
need = ["fastapi", "uvicorn", "flask", "sqlalchemy", "psycopg", "redis", "apscheduler", "httpx", "pytest", "gunicorn"]
missing = [m for m in need if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"bootstrap: missing Python modules in services/.venv: {', '.join(missing)}")
PY

# The AppHost runs its own postgres and redis-server; a system service on the development ports would collide.
for port_service in 5432:postgresql 6379:redis-server; do
  port=${port_service%%:*}; service=${port_service#*:}
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    say "note: port $port is in use (a system $service?). The AppHost's Development stack needs it: stop it" \
        "(sudo systemctl disable --now $service) or move ours (--Ichrisbirch:$( [ "$port" = 5432 ] && echo PostgresPort || echo RedisPort )=PORT)."
  fi
done

# Offline Kubernetes schema validation of the published manifests (Tests/Hosting/Kubernetes): npm kubernetes-models.
# Installed once per package-lock.json: `npm ci` empties node_modules first, and tests that run this script while
# others validate manifests must not pull the packages from under them.
validator="$repo/Tests/Hosting/Kubernetes/validator"
if command -v npm >/dev/null 2>&1; then
  lock_hash="$(sha256sum "$validator/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$validator/node_modules/.lock-sha256" 2>/dev/null)" != "$lock_hash" ]; then
    (cd "$validator" && npm ci --no-audit --no-fund --silent && echo "$lock_hash" > node_modules/.lock-sha256) \
      || say "note: npm ci in Tests/Hosting/Kubernetes/validator failed"
  fi
else
  say "note: npm is missing (apt-get install nodejs npm); the Kubernetes validation tests need it"
fi

if command -v dotnet >/dev/null 2>&1; then
  (cd "$repo" && dotnet tool restore >/dev/null 2>&1 || true)
else
  echo "bootstrap: the .NET SDK 10 is needed (https://dot.net); 'dotnet' is not on PATH" >&2
  exit 1
fi
say "ready"
