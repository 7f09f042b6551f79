"""Engine construction, idempotent schema creation and the PostgreSQL health probe."""

from __future__ import annotations

import logging
import time
import zlib

from sqlalchemy import Table, create_engine, func, select, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from ichrisbirch import pg_dialect
from ichrisbirch.config import PostgresSettings
from ichrisbirch.models import Base

pg_dialect.register()

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 2
# One constant key shared by every process that creates the schema (api workers,
# api replicas, the scheduler): pg_advisory_xact_lock serialises them.
SCHEMA_LOCK_KEY = zlib.crc32(b"ichrisbirch.schema")


def database_url(settings: PostgresSettings) -> URL:
    return URL.create(
        "postgresql+psycopg",
        username=settings.username,
        password=settings.password,
        host=settings.host,
        port=settings.port,
        database=settings.db,
    )


def make_engine(settings: PostgresSettings, *, future: bool = True) -> Engine:
    """``future=False`` only for APScheduler 3.9, whose job store uses ``Engine.execute``."""
    return create_engine(
        database_url(settings),
        future=future,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": "ichrisbirch"},
    )


def create_schema(engine: Engine, *extra_tables: Table) -> None:
    """Create the schemas and tables that do not exist yet.

    Safe to run concurrently from several processes: the whole DDL runs in one
    transaction holding a transaction-scoped advisory lock.
    """
    tables = list(Base.metadata.sorted_tables) + list(extra_tables)
    schemas = sorted({table.schema for table in tables if table.schema and table.schema != "public"})
    with engine.begin() as connection:
        connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        Base.metadata.create_all(connection, checkfirst=True)
        for table in extra_tables:
            table.create(connection, checkfirst=True)
    logger.info("database schema ready (%s)", ", ".join(table.fullname for table in tables))


def create_schema_when_ready(engine: Engine, *extra_tables: Table, timeout: float = 60.0) -> None:
    """:func:`create_schema`, retrying while PostgreSQL is not reachable yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return create_schema(engine, *extra_tables)
        except OperationalError as error:
            if time.monotonic() >= deadline:
                raise
            logger.warning("PostgreSQL not ready (%s), retrying", type(error.orig or error).__name__)
            time.sleep(1)


def check_postgres(engine: Engine) -> None:
    """Raise unless a real ``SELECT 1`` succeeds."""
    with engine.connect() as connection:
        connection.execute(text("SET LOCAL statement_timeout = 2000"))
        connection.execute(text("SELECT 1")).scalar_one()


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)

