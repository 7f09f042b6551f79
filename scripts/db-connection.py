#!/usr/bin/python3
"""Prints the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) of an environment's
PostgreSQL in Local mode, BACKUP_DIR (the folder of the dashboard's "Back up" command) and the Redis
cache's REDIS_PORT and REDISCLI_AUTH, as shell ``export`` lines, resolved from the same places as the AppHost:
AppHost/appsettings.json < appsettings.{Environment}.json < the env file (.dev.env, .test.env, .prod.env)
< user secrets < environment variables (Ichrisbirch__PostgresPort, Ichrisbirch__Database,
Parameters__postgres-password, ...).  PG* variables already set win over all of them.

Usage: scripts/db-connection.py ENVIRONMENT   (Development, Testing or Production)
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APPHOST = REPO / "AppHost"
ENV_FILES = {"Development": ".dev.env", "Testing": ".test.env", "Production": ".prod.env"}
USER_SECRETS_ID = "ichrisbirch-aspire-apphost"  # <UserSecretsId> in AppHost/AppHost.csproj


def fail(message: str) -> None:
    print(f"db-connection: {message}", file=sys.stderr)
    raise SystemExit(2)


def flatten(node: object, prefix: str = "") -> dict[str, str]:
    if not isinstance(node, dict):
        return {prefix.lower(): str(node)}
    flat: dict[str, str] = {}
    for key, value in node.items():
        flat.update(flatten(value, f"{prefix}:{key}" if prefix else key))
    return flat


def json_file(path: Path) -> dict[str, str]:
    return flatten(json.loads(path.read_text(encoding="utf-8-sig"))) if path.is_file() else {}


def env_file(path: Path) -> dict[str, str]:
    keys = {"POSTGRES_PASSWORD": "parameters:postgres-password", "POSTGRES_DB": "ichrisbirch:database",
            "REDIS_PASSWORD": "parameters:redis-password"}
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.strip().removeprefix("export ").strip()
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if key.strip() in keys:
            values[keys[key.strip()]] = value
    return values


def data_root(settings: dict[str, str], environment: str) -> Path:
    """As the AppHost's DataRoot(): Ichrisbirch:Local:DataDirectory, else a per-user folder per environment."""
    if configured := settings.get("ichrisbirch:local:datadirectory"):
        return (APPHOST / configured).resolve()
    if os.geteuid() == 0:
        root = Path("/var/lib/ichrisbirch-aspire")
    else:
        root = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "ichrisbirch-aspire"
    return root / environment.lower()


def main() -> None:
    if len(sys.argv) != 2:
        fail("usage: scripts/db-connection.py Development|Testing|Production")
    if sys.argv[1].capitalize() not in ENV_FILES:
        fail(f"unknown environment {sys.argv[1]!r}: use Development, Testing or Production")
    environment = sys.argv[1].capitalize()
    settings: dict[str, str] = {}
    settings.update(json_file(APPHOST / "appsettings.json"))
    settings.update(json_file(APPHOST / f"appsettings.{environment}.json"))
    env_dir = Path(settings.get("ichrisbirch:envfilesdirectory", ".."))
    settings.update(env_file((APPHOST / env_dir).resolve() / ENV_FILES[environment]))
    if environment == "Development":
        settings.update(json_file(Path.home() / ".microsoft/usersecrets" / USER_SECRETS_ID / "secrets.json"))
    settings.update({k.replace("__", ":").lower(): v for k, v in os.environ.items() if "__" in k})

    password = settings.get("parameters:postgres-password", "")
    if not password and not os.environ.get("PGPASSWORD"):
        fail(f"{environment} has no postgres-password: set PGPASSWORD, or supply the parameter as for the AppHost "
             "(dotnet user-secrets set Parameters:postgres-password VALUE --project AppHost, "
             f"Parameters__postgres-password, or POSTGRES_PASSWORD in {ENV_FILES[environment]})")
    resolved = {
        "PGHOST": "127.0.0.1",
        "PGPORT": settings.get("ichrisbirch:postgresport", "5432"),
        "PGUSER": "postgres",
        "PGPASSWORD": password,
        "PGDATABASE": settings.get("ichrisbirch:database", "ichrisbirch"),
    }
    for name, value in resolved.items():
        print(f"export {name}={shlex.quote(os.environ.get(name) or value)}")
    print(f"export REDIS_PORT={shlex.quote(settings.get('ichrisbirch:redisport', '6379'))}")
    print(f"export REDISCLI_AUTH={shlex.quote(settings.get('parameters:redis-password', ''))}")
    print(f"export BACKUP_DIR={shlex.quote(os.environ.get('BACKUP_DIR') or str(data_root(settings, environment) / 'backups'))}")


if __name__ == "__main__":
    main()
