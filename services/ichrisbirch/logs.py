"""Logging to stdout at LOG_LEVEL, shared by all services.

One handler, on the root logger.  uvicorn configures its own loggers before it
imports the application: ``uvicorn`` (and so ``uvicorn.error``) with a stderr
handler that also propagates to the root, ``uvicorn.access`` with a stdout
handler.  Left alone, every startup line would be printed twice, once by each
handler.  :func:`configure_logging` removes the servers' own handlers and lets
their records propagate, so each line is printed once, in one format.  (Under
gunicorn the uvicorn worker later points these loggers at gunicorn's handlers
without propagation: still once.)
"""

from __future__ import annotations

import logging
import sys

SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "werkzeug")


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
