"""The api.  ``uvicorn ichrisbirch.wsgi_api:api`` (development) or
``gunicorn ichrisbirch.wsgi_api:api -k uvicorn.workers.UvicornWorker --workers 4``.
``python -m ichrisbirch.wsgi_api`` runs uvicorn on FASTAPI_HOST:FASTAPI_PORT.
"""

from __future__ import annotations

from ichrisbirch.api import create_api
from ichrisbirch.config import load_api_settings, load_bind_settings, settings_or_exit
from ichrisbirch.logs import configure_logging

settings = settings_or_exit(load_api_settings)
configure_logging(settings.log_level)
api = create_api(settings)

if __name__ == "__main__":
    import uvicorn

    bind = settings_or_exit(lambda: load_bind_settings("FASTAPI"))
    uvicorn.run(api, host=bind.host, port=bind.port, log_level=settings.log_level)
