"""The Flask application factory: server-side pages backed by the api.

Reading is public; writing needs the signed-in session and a CSRF token (:mod:`ichrisbirch.app.auth`).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import Flask, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from ichrisbirch import health as states
from ichrisbirch.app.api_client import ApiClient, ApiError, Listing
from ichrisbirch.app.auth import init_auth, sign_in_required
from ichrisbirch.config import AppSettings

logger = logging.getLogger(__name__)


def create_app(settings: AppSettings) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.flask_secret_key
    app.config["ENVIRONMENT"] = settings.environment
    # Behind TRUSTED_PROXY_COUNT proxies (nginx in compose, the ingress controller in Kubernetes: 1), the visitor's
    # address, scheme and host come in X-Forwarded-* headers: request.remote_addr (the sign-in limit's key) and
    # request.is_secure (the session cookie's Secure flag) follow them. With none (run mode), the headers are
    # ignored: anyone can send them, and a rotated X-Forwarded-For would escape the sign-in limit.
    if settings.trusted_proxy_count:
        count = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    init_auth(app, settings.admin_password)
    client = ApiClient(settings.api_url, settings.api_secret_key)
    app.extensions["ichrisbirch_api"] = client

    @app.get("/health")
    def health() -> tuple[dict, int]:
        """Unhealthy (503) when the api does not serve; degraded (200) while the api is degraded."""
        try:
            api_status = client.health()
        except ApiError as error:
            return states.answer(states.UNHEALTHY, api=error.message)
        if api_status == states.HEALTHY:
            return states.answer(states.HEALTHY, api=states.OK)
        return states.answer(states.DEGRADED, api=api_status)

    @lru_cache(maxsize=2)
    def habit_table(listing: Listing) -> Markup:
        """The table's HTML, rendered once per list this worker reads (the api's 304 returns the same one)."""
        return Markup(render_template("habit_table.html", habits=listing.habits))

    @app.get("/")
    @app.get("/habits/")
    def habits() -> str:
        return render_template("habits.html", table=habit_table(client.list_habits()))

    @app.post("/habits/")
    @sign_in_required
    def create_habit() -> Response:
        name = request.form.get("name", "")
        category = request.form.get("category", "")
        client.create_habit(name=name, category=category)
        return redirect(url_for("habits"), code=303)

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> tuple[str, int]:
        logger.warning("api call failed: %s", error.message)
        return render_template("error.html", status=error.status, message=error.message), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        return render_template("error.html", status=status, message=error.description), status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        logger.exception("unhandled error")
        return render_template("error.html", status=500, message="Internal server error."), 500

    return app
