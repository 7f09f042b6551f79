"""Who may write through the app: one account, a signed session cookie and a CSRF token on every form.

Reading is public.  Every POST must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``), else 400 and nothing happens.  Views
decorated with :func:`sign_in_required` also need a signed-in session; an
anonymous visitor is sent to the sign-in page (303).

The session is Flask's signed cookie: ``HttpOnly``, ``SameSite=Lax``, and
``Secure`` whenever the request came over https (directly, or through a proxy
that says so with ``X-Forwarded-Proto``; see ProxyFix in :func:`create_app`).
The password is compared in constant time and never logged.  Sign-in attempts are limited per
client address (``request.remote_addr``: the proxy's ``X-Forwarded-For`` only when TRUSTED_PROXY_COUNT says one
is in front), counted by the api in PostgreSQL: past the limit, 429 with ``Retry-After``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta
from functools import wraps
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, make_response, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

logger = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_LIFETIME = timedelta(hours=12)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., object])

blueprint = Blueprint("auth", __name__)


class SchemeAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie ``Secure`` when the request was made over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def init_auth(app: Flask, admin_password: str) -> None:
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    app.session_interface = SchemeAwareSessionInterface()
    app.extensions["ichrisbirch_admin_password"] = admin_password
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["signed_in"] = signed_in
    app.before_request(require_csrf_token)
    app.register_blueprint(blueprint)


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def signed_in() -> bool:
    return session.get("signed_in") is True


def require_csrf_token() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        logger.warning("refused %s %s: CSRF token missing or wrong", request.method, request.path)
        abort(400, "The form's security token is missing or out of date. Reload the page and submit it again.")


def sign_in_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> object:
        if not signed_in():
            return redirect(url_for("auth.sign_in", next=request.path), code=303)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else the habits page (no open redirect)."""
    parts = urlsplit(target or "")
    if target and target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return url_for("habits")


@blueprint.get("/login")
def sign_in() -> str:
    return render_template("login.html", next=_local_path(request.args.get("next")), error=None)


@blueprint.post("/login")
def sign_in_submit() -> Response | tuple[str, int]:
    password = request.form.get("password", "")
    expected = current_app.extensions["ichrisbirch_admin_password"]
    target = _local_path(request.form.get("next"))
    client = request.remote_addr or "unknown"
    retry_after = current_app.extensions["ichrisbirch_api"].count_sign_in_attempt(client)
    if retry_after is not None:
        logger.warning("sign-in refused: too many attempts from %s", client)
        minutes = -(-retry_after // 60)
        error = f"Too many sign-in attempts from your address. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        response = make_response(render_template("login.html", next=target, error=error), 429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    if not hmac.compare_digest(password.encode(), expected.encode()):
        logger.warning("sign-in refused: wrong password")
        return render_template("login.html", next=target, error="Wrong password."), 401
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session.permanent = True
    session["signed_in"] = True
    csrf_token()
    logger.info("signed in")
    return redirect(target, code=303)


@blueprint.post("/logout")
def sign_out() -> Response:
    session.clear()
    return redirect(url_for("habits"), code=303)
