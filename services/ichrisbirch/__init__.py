"""ichrisbirch services: api (FastAPI), app (Flask) and scheduler (APScheduler)."""

__version__ = "0.1.0"
