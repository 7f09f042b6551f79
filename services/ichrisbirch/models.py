"""SQLAlchemy tables.  ``Base.metadata`` is the single source of the schema."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, String, func
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Habit(Base):
    __tablename__ = "habits"
    __table_args__ = {"schema": "habits"}

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    category = Column(String(100), nullable=False)
    is_current = Column(Boolean, nullable=False, default=True, server_default="true")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = {"schema": "public"}

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    priority = Column(Integer, nullable=False)
    add_date = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    complete_date = Column(DateTime(timezone=True), nullable=True)


class CacheGeneration(Base):
    """Bumped by every write to a cached table, inside the write's transaction (see ``cache.py``)."""

    __tablename__ = "cache_generations"
    __table_args__ = {"schema": "public"}

    name = Column(String(100), primary_key=True)
    generation = Column(BigInteger, nullable=False)


class SignInAttempts(Base):
    """Sign-in attempts per client address in the current window (``api/sign_in.py``): shared by every worker and replica."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = {"schema": "public"}

    client = Column(String(100), primary_key=True)
    window_start = Column(DateTime(timezone=True), nullable=False)
    attempts = Column(Integer, nullable=False)
