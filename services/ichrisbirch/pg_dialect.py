"""A minimal ``postgresql+psycopg`` (psycopg 3) dialect for SQLAlchemy 1.4.

SQLAlchemy ships a psycopg 3 dialect only from 2.0 on; 1.4 (Debian 12's version)
knows psycopg2 only.  psycopg 3 is a plain DB-API 2 driver with the same
``pyformat`` paramstyle, so SQLAlchemy's generic PostgreSQL dialect works with
it once it knows how to import the driver, build its connect arguments and
recognise a dropped connection (for ``pool_pre_ping``).  :func:`register` is a
no-op on SQLAlchemy 2.x, where the built-in dialect is used.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.base import PGDialect


class PGDialect_psycopg(PGDialect):  # noqa: N801 - SQLAlchemy naming convention
    driver = "psycopg"
    supports_statement_cache = True
    supports_server_side_cursors = False  # not needed here, not exercised
    default_paramstyle = "pyformat"

    @classmethod
    def dbapi(cls) -> Any:  # SQLAlchemy 1.4 API
        import psycopg

        return psycopg

    def create_connect_args(self, url: Any) -> tuple[list[Any], dict[str, Any]]:
        options = url.translate_connect_args(username="user", database="dbname")
        options.update(url.query)
        return [], options

    def is_disconnect(self, e: Exception, connection: Any, cursor: Any) -> bool:
        if connection is not None and getattr(connection, "closed", False):
            return True
        return isinstance(e, self.dbapi.OperationalError)


def register() -> None:
    if int(sqlalchemy.__version__.split(".")[0]) < 2:
        registry.register("postgresql.psycopg", __name__, "PGDialect_psycopg")
