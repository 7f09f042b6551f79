"""The configuration contract: required variables, validation, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ichrisbirch.config import (
    ConfigError,
    load_api_settings,
    load_app_settings,
    load_scheduler_settings,
    parse_bool,
)

SERVICES_DIR = Path(__file__).resolve().parents[1]

API_ENV = {
    "ENVIRONMENT": "production", "POSTGRES_HOST": "db", "POSTGRES_PORT": "5432", "POSTGRES_DB": "ichrisbirch",
    "POSTGRES_USERNAME": "ichrisbirch", "POSTGRES_PASSWORD": "pg-secret", "REDIS_HOST": "cache",
    "REDIS_PORT": "6379", "REDIS_PASSWORD": "redis-secret", "API_SECRET_KEY": "api-secret",
}
APP_ENV = {
    "ENVIRONMENT": "production", "FASTAPI_HOST": "api", "FASTAPI_PORT": "8000", "FLASK_SECRET_KEY": "flask-secret",
    "API_SECRET_KEY": "api-secret", "APP_ADMIN_PASSWORD": "admin-secret",
}
SCHEDULER_ENV = {
    **{k: v for k, v in API_ENV.items() if not k.startswith(("REDIS_", "API_"))},
    "SCHEDULER_HEALTH_PORT": "8081",
}


CONTRACT_PREFIXES = (
    "ENVIRONMENT", "POSTGRES_", "REDIS_", "FASTAPI_", "FLASK_", "API_SECRET", "SCHEDULER_", "LOG_LEVEL",
    "APP_ADMIN_",
)


def run_service(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` with exactly ``env`` as far as the configuration contract goes."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(CONTRACT_PREFIXES)}
    return subprocess.run([sys.executable, *args], env={**clean, **env}, cwd=SERVICES_DIR,
                          capture_output=True, text=True, timeout=60)


def test_api_settings_defaults_and_secrets_hidden() -> None:
    settings = load_api_settings(API_ENV)
    assert settings.environment == "production" and settings.log_level == "info"
    assert settings.postgres.port == 5432 and settings.redis.password == "redis-secret"
    assert "secret" not in repr(settings)


def test_empty_redis_password_means_no_auth_outside_production() -> None:
    for environment in ("development", "testing"):
        env = {**API_ENV, "ENVIRONMENT": environment, "REDIS_PASSWORD": ""}
        assert load_api_settings(env).redis.password == ""
        assert load_api_settings({k: v for k, v in env.items() if k != "REDIS_PASSWORD"}).redis.password == ""


def test_app_settings_build_api_url() -> None:
    settings = load_app_settings({"ENVIRONMENT": "development", "FASTAPI_HOST": "api", "FASTAPI_PORT": "8000",
                                  "FASTAPI_PROTOCOL": "https", "FLASK_SECRET_KEY": "flask-s3cret",
                                  "API_SECRET_KEY": "api-s3cret", "APP_ADMIN_PASSWORD": "admin-s3cret"})
    assert settings.api_url == "https://api:8000" and settings.admin_password == "admin-s3cret"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize("missing", sorted(APP_ENV))
def test_each_app_variable_is_required(missing: str) -> None:
    with pytest.raises(ConfigError, match=f"^{missing} is not set"):
        load_app_settings({k: v for k, v in APP_ENV.items() if k != missing})


SECRETS = [
    (load_api_settings, API_ENV, "POSTGRES_PASSWORD"), (load_api_settings, API_ENV, "REDIS_PASSWORD"),
    (load_api_settings, API_ENV, "API_SECRET_KEY"), (load_scheduler_settings, SCHEDULER_ENV, "POSTGRES_PASSWORD"),
    (load_app_settings, APP_ENV, "FLASK_SECRET_KEY"), (load_app_settings, APP_ENV, "API_SECRET_KEY"),
    (load_app_settings, APP_ENV, "APP_ADMIN_PASSWORD"),
]


@pytest.mark.parametrize(("loader", "env", "secret"), SECRETS, ids=[f"{l.__name__}-{s}" for l, _, s in SECRETS])
@pytest.mark.parametrize("value", ["", "  "])
def test_production_refuses_an_empty_secret_naming_it(loader, env: dict[str, str], secret: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{secret} is empty, and production refuses an empty secret"):
        loader({**env, secret: value})
    loader(env)  # and accepts the same environment with the secret set


def test_production_redis_password_is_required() -> None:
    with pytest.raises(ConfigError, match="^REDIS_PASSWORD is not set"):
        load_api_settings({k: v for k, v in API_ENV.items() if k != "REDIS_PASSWORD"})


@pytest.mark.parametrize(("command", "env", "secret"), [
    (["-m", "ichrisbirch.wsgi_api"], API_ENV, "REDIS_PASSWORD"),
    (["-m", "gunicorn", "ichrisbirch.wsgi_api:api", "-k", "uvicorn.workers.UvicornWorker", "--bind", "127.0.0.1:0"],
     API_ENV, "REDIS_PASSWORD"),
    (["-m", "ichrisbirch.wsgi_scheduler"], SCHEDULER_ENV, "POSTGRES_PASSWORD"),
    (["-m", "gunicorn", "ichrisbirch.wsgi_app:app", "--bind", "127.0.0.1:0"], APP_ENV, "APP_ADMIN_PASSWORD"),
])
def test_production_service_with_an_empty_secret_exits_2_with_one_line(
    command: list[str], env: dict[str, str], secret: str
) -> None:
    result = run_service(command, {**env, secret: ""})
    assert result.returncode == 2
    assert result.stderr == (f"ichrisbirch config error: {secret} is empty, and production refuses an empty secret "
                             "(set it in the environment or the AppHost parameters)\n")


def test_scheduler_settings_interval_optional() -> None:
    assert load_scheduler_settings(SCHEDULER_ENV).decrease_task_priority_seconds is None
    assert load_scheduler_settings(SCHEDULER_ENV).health_host == "127.0.0.1"
    env = {**SCHEDULER_ENV, "SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS": "30"}
    assert load_scheduler_settings(env).decrease_task_priority_seconds == 30
    with pytest.raises(ConfigError, match="SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS"):
        load_scheduler_settings({**SCHEDULER_ENV, "SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS": "soon"})


@pytest.mark.parametrize("missing", sorted(API_ENV))
def test_each_api_variable_is_required(missing: str) -> None:
    env = {k: v for k, v in API_ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=f"^{missing} is not set"):
        load_api_settings(env)


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "80.5"])
def test_bad_port(value: str) -> None:
    with pytest.raises(ConfigError, match="POSTGRES_PORT must be an integer port 1-65535"):
        load_api_settings({**API_ENV, "POSTGRES_PORT": value})


def test_unknown_environment_and_log_level() -> None:
    with pytest.raises(ConfigError, match="ENVIRONMENT must be one of development, testing, production"):
        load_api_settings({**API_ENV, "ENVIRONMENT": "staging"})
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of"):
        load_api_settings({**API_ENV, "LOG_LEVEL": "verbose"})
    assert load_api_settings({**API_ENV, "LOG_LEVEL": "DEBUG"}).log_level == "debug"


@pytest.mark.parametrize(("raw", "expected"), [
    ("False", False), ("false", False), ("0", False), ("no", False), ("", False), ("off", False),
    ("True", True), ("true", True), ("1", True), ("yes", True), (" ON ", True),
])
def test_parse_bool(raw: str, expected: bool) -> None:
    assert parse_bool(raw) is expected


def test_parse_bool_rejects_garbage() -> None:
    with pytest.raises(ConfigError, match="FLAG must be a boolean"):
        parse_bool("maybe", "FLAG")


EXPECTED_MISSING = ("ichrisbirch config error: POSTGRES_PASSWORD is not set "
                    "(set it in the environment or the AppHost parameters)\n")


@pytest.mark.parametrize("command", [
    ["-m", "ichrisbirch.wsgi_scheduler"],
    ["-m", "ichrisbirch.wsgi_api"],
    ["-m", "uvicorn", "ichrisbirch.wsgi_api:api"],
    # gunicorn.conf.py preloads the app, so the master itself stops (no respawn loop).
    ["-m", "gunicorn", "ichrisbirch.wsgi_api:api", "-k", "uvicorn.workers.UvicornWorker", "--bind", "127.0.0.1:0"],
])
def test_missing_variable_exits_2_with_one_line(command: list[str]) -> None:
    env = {k: v for k, v in {**API_ENV, **SCHEDULER_ENV}.items() if k != "POSTGRES_PASSWORD"}
    result = run_service(command, env)
    assert result.returncode == 2
    assert result.stderr == EXPECTED_MISSING


@pytest.mark.parametrize("command", [
    ["-m", "ichrisbirch.wsgi_app"],
    ["-m", "flask", "--app", "ichrisbirch.wsgi_app:app", "run"],
    ["-m", "gunicorn", "ichrisbirch.wsgi_app:app", "--bind", "127.0.0.1:0"],
])
def test_app_missing_secret_exits_2(command: list[str]) -> None:
    env = {"ENVIRONMENT": "development", "FASTAPI_HOST": "api", "FASTAPI_PORT": "8000", "API_SECRET_KEY": "a"}
    result = run_service(command, env)
    assert result.returncode == 2
    assert result.stderr == ("ichrisbirch config error: FLASK_SECRET_KEY is not set "
                             "(set it in the environment or the AppHost parameters)\n")


def test_invalid_values_exit_2_without_secrets() -> None:
    bad_port = run_service(["-m", "ichrisbirch.wsgi_scheduler"], {**SCHEDULER_ENV, "SCHEDULER_HEALTH_PORT": "http"})
    assert (bad_port.returncode, bad_port.stderr) == (
        2, "ichrisbirch config error: SCHEDULER_HEALTH_PORT must be an integer port 1-65535, got 'http'\n")
    bad_env = run_service(["-m", "ichrisbirch.wsgi_api"], {**API_ENV, "ENVIRONMENT": "prod"})
    assert bad_env.returncode == 2
    assert bad_env.stderr.startswith("ichrisbirch config error: ENVIRONMENT must be one of")
    assert "pg-secret" not in bad_env.stderr + bad_port.stderr


def test_healthcheck_module_exit_codes(api_url: str) -> None:
    assert run_service(["-m", "ichrisbirch.healthcheck", f"{api_url}/health"], {}).returncode == 0
    assert run_service(["-m", "ichrisbirch.healthcheck", f"{api_url}/missing"], {}).returncode == 1
    assert run_service(["-m", "ichrisbirch.healthcheck", "http://127.0.0.1:1/health"], {}).returncode == 1


def test_trusted_proxy_count_defaults_to_none_and_refuses_a_non_number() -> None:
    from ichrisbirch.config import ConfigError, load_app_settings

    env = {"ENVIRONMENT": "testing", "FASTAPI_HOST": "api", "FASTAPI_PORT": "8000", "FLASK_SECRET_KEY": "f",
           "API_SECRET_KEY": "a", "APP_ADMIN_PASSWORD": "p"}
    assert load_app_settings(env).trusted_proxy_count == 0
    assert load_app_settings({**env, "TRUSTED_PROXY_COUNT": "1"}).trusted_proxy_count == 1
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_COUNT must be a whole number 0 or more, got '-1'"):
        load_app_settings({**env, "TRUSTED_PROXY_COUNT": "-1"})
