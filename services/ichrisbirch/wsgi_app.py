"""The web app.  ``flask --app ichrisbirch.wsgi_app:app run`` (development) or
``gunicorn ichrisbirch.wsgi_app:app --workers 4``.
``python -m ichrisbirch.wsgi_app`` runs the Flask server on FLASK_HOST:FLASK_PORT.
"""

from __future__ import annotations

from ichrisbirch.app import create_app
from ichrisbirch.config import load_app_settings, load_bind_settings, settings_or_exit
from ichrisbirch.logs import configure_logging

settings = settings_or_exit(load_app_settings)
configure_logging(settings.log_level)
app = create_app(settings)

if __name__ == "__main__":
    bind = settings_or_exit(lambda: load_bind_settings("FLASK"))
    app.run(host=bind.host, port=bind.port)
