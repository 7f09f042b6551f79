"""The one place that reads the environment.

Every service calls exactly one ``load_*_settings()`` function and so reads only
the variables it needs.  A missing or invalid variable raises :class:`ConfigError`;
the service entry points turn it into one line on stderr and exit code 2 via
:func:`settings_or_exit`.  Secret fields are excluded from ``repr`` so that
settings objects can never leak them into logs.  In production every secret
must be non-empty (:meth:`_Env.secret`): an empty REDIS_PASSWORD, which means
"no auth" elsewhere, stops the service at start.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Mapping, TypeVar

ENVIRONMENTS = ("development", "testing", "production")
LOG_LEVELS = ("debug", "info", "warning", "error")
CONFIG_ERROR_EXIT_CODE = 2

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}

T = TypeVar("T")


class ConfigError(Exception):
    """A required variable is missing or a value is invalid."""


def parse_bool(value: str, name: str = "value") -> bool:
    """Parse a boolean: true/1/yes/on and false/0/no/off/"" (case-insensitive)."""
    normalized = value.strip().lower()
    if normalized in _TRUE:
        return True
    if normalized in _FALSE:
        return False
    raise ConfigError(f"{name} must be a boolean (true/false/1/0/yes/no), got {value!r}")


class _Env:
    def __init__(self, environ: Mapping[str, str] | None = None, production: bool = False) -> None:
        self.environ = os.environ if environ is None else environ
        self.production = production

    def secret(self, name: str, optional: bool = False) -> str:
        """A secret: required, unless ``optional`` outside production (there, empty = not used)."""
        value = self.environ.get(name, "")
        if self.production and name in self.environ and not value.strip():
            raise ConfigError(
                f"{name} is empty, and production refuses an empty secret "
                "(set it in the environment or the AppHost parameters)"
            )
        return value if optional and not self.production else self.str(name)

    def str(self, name: str, default: str | None = None) -> str:
        value = self.environ.get(name, "")
        if value == "":
            if default is None:
                raise ConfigError(f"{name} is not set (set it in the environment or the AppHost parameters)")
            return default
        return value

    def port(self, name: str, default: int | None = None) -> int:
        raw = self.str(name, None if default is None else str(default))
        try:
            port = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer port 1-65535, got {raw!r}") from None
        if not 1 <= port <= 65535:
            raise ConfigError(f"{name} must be an integer port 1-65535, got {raw!r}")
        return port

    def positive_int(self, name: str) -> int | None:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return None
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise ConfigError(f"{name} must be a positive integer number of seconds, got {raw!r}")
        return number

    def count(self, name: str, default: int) -> int:
        """A whole number 0 or more (unset: ``default``)."""
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit():
            raise ConfigError(f"{name} must be a whole number 0 or more, got {raw!r}")
        return int(raw)

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.str(name, default).strip().lower()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    db: str
    username: str
    password: str = field(repr=False)

    @classmethod
    def from_env(cls, env: _Env) -> PostgresSettings:
        return cls(
            host=env.str("POSTGRES_HOST"),
            port=env.port("POSTGRES_PORT"),
            db=env.str("POSTGRES_DB"),
            username=env.str("POSTGRES_USERNAME"),
            password=env.secret("POSTGRES_PASSWORD"),
        )


@dataclass(frozen=True)
class RedisSettings:
    host: str
    port: int
    password: str = field(repr=False, default="")  # empty = no auth (refused in production)

    @classmethod
    def from_env(cls, env: _Env) -> RedisSettings:
        return cls(
            host=env.str("REDIS_HOST"),
            port=env.port("REDIS_PORT"),
            password=env.secret("REDIS_PASSWORD", optional=True),
        )


@dataclass(frozen=True)
class ApiSettings:
    environment: str
    log_level: str
    postgres: PostgresSettings
    redis: RedisSettings
    api_secret_key: str = field(repr=False)


@dataclass(frozen=True)
class AppSettings:
    environment: str
    log_level: str
    api_url: str
    flask_secret_key: str = field(repr=False)
    api_secret_key: str = field(repr=False)
    admin_password: str = field(repr=False)  # the one account that may write through the app
    trusted_proxy_count: int = 0  # proxies in front whose X-Forwarded-* headers are believed (0: none)


@dataclass(frozen=True)
class SchedulerSettings:
    environment: str
    log_level: str
    postgres: PostgresSettings
    health_host: str
    health_port: int
    decrease_task_priority_seconds: int | None  # None = cron daily at 01:00
    leader_check_seconds: int = 1  # how often the leader checks its lock session (ichrisbirch.leader)


@dataclass(frozen=True)
class BindSettings:
    """Where a development entry point (``python -m ichrisbirch.wsgi_*``) listens."""

    host: str
    port: int


def _service_env(environ: Mapping[str, str] | None) -> tuple[_Env, str, str]:
    """The environment reader (strict about secrets in production), ENVIRONMENT and LOG_LEVEL."""
    env = _Env(environ)
    environment = env.choice("ENVIRONMENT", ENVIRONMENTS)
    env.production = environment == "production"
    return env, environment, env.choice("LOG_LEVEL", LOG_LEVELS, "info")


def load_api_settings(environ: Mapping[str, str] | None = None) -> ApiSettings:
    env, environment, log_level = _service_env(environ)
    return ApiSettings(
        environment=environment,
        log_level=log_level,
        postgres=PostgresSettings.from_env(env),
        redis=RedisSettings.from_env(env),
        api_secret_key=env.secret("API_SECRET_KEY"),
    )


def load_app_settings(environ: Mapping[str, str] | None = None) -> AppSettings:
    env, environment, log_level = _service_env(environ)
    protocol = env.choice("FASTAPI_PROTOCOL", ("http", "https"), "http")
    api_url = f"{protocol}://{env.str('FASTAPI_HOST')}:{env.port('FASTAPI_PORT')}"
    return AppSettings(
        environment=environment,
        log_level=log_level,
        api_url=api_url,
        flask_secret_key=env.secret("FLASK_SECRET_KEY"),
        api_secret_key=env.secret("API_SECRET_KEY"),
        admin_password=env.secret("APP_ADMIN_PASSWORD"),
        trusted_proxy_count=env.count("TRUSTED_PROXY_COUNT", 0),
    )


def load_scheduler_settings(environ: Mapping[str, str] | None = None) -> SchedulerSettings:
    env, environment, log_level = _service_env(environ)
    return SchedulerSettings(
        environment=environment,
        log_level=log_level,
        postgres=PostgresSettings.from_env(env),
        health_host=env.str("SCHEDULER_HEALTH_HOST", "127.0.0.1"),
        health_port=env.port("SCHEDULER_HEALTH_PORT"),
        decrease_task_priority_seconds=env.positive_int("SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS"),
        leader_check_seconds=env.positive_int("SCHEDULER_LEADER_CHECK_SECONDS") or 1,
    )


def load_postgres_settings(environ: Mapping[str, str] | None = None) -> PostgresSettings:
    return PostgresSettings.from_env(_Env(environ))


def load_redis_settings(environ: Mapping[str, str] | None = None) -> RedisSettings:
    return RedisSettings.from_env(_Env(environ))


def load_bind_settings(prefix: str, environ: Mapping[str, str] | None = None) -> BindSettings:
    """``prefix`` is ``FASTAPI`` or ``FLASK``: reads ``<prefix>_HOST`` and ``<prefix>_PORT``."""
    env = _Env(environ)
    return BindSettings(host=env.str(f"{prefix}_HOST"), port=env.port(f"{prefix}_PORT"))


def settings_or_exit(loader: Callable[[], T]) -> T:
    """Call ``loader``; on :class:`ConfigError` print one line to stderr and exit 2."""
    try:
        return loader()
    except ConfigError as error:
        print(f"ichrisbirch config error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(CONFIG_ERROR_EXIT_CODE) from None
