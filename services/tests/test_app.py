"""The Flask app (in-process test client) talking to the real api subprocess."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ichrisbirch.app import create_app
from ichrisbirch.config import load_app_settings
from tests.servers import API_SECRET_KEY, ServiceProcess, free_port

MakeClient = Callable[..., FlaskClient]
ADMIN_PASSWORD = "test-admin-password"
APP_ENV = {"ENVIRONMENT": "testing", "FASTAPI_HOST": "127.0.0.1", "FLASK_SECRET_KEY": "test-flask-secret",
           "API_SECRET_KEY": API_SECRET_KEY, "APP_ADMIN_PASSWORD": ADMIN_PASSWORD}


@pytest.fixture()
def app_client() -> Iterator[MakeClient]:
    """A factory of test clients of the app talking to the api on the given port.

    Keep the returned client referenced while using its responses (Flask holds the app weakly).
    """
    apps = []

    def make(api_port: int, **env: str) -> FlaskClient:
        settings = load_app_settings({**APP_ENV, "FASTAPI_PORT": str(api_port), **env})
        apps.append(create_app(settings))
        client = apps[-1].test_client()
        client.environ_base["REMOTE_ADDR"] = unique_address()  # its own sign-in attempt count
        return client

    yield make
    for app in apps:
        app.extensions["ichrisbirch_api"].close()


def unique_address() -> str:
    """A documentation-range IPv6 address no other test uses."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def port_of(url: str) -> int:
    return httpx.URL(url).port or 80


def form_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: FlaskClient, password: str = ADMIN_PASSWORD) -> str:
    """Signs in through the sign-in form; returns the CSRF token of the signed-in session."""
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "password": password, "next": "/habits/"})
    assert response.status_code == 303, response.text
    return form_token(client.get("/habits/").text)


def forget_sign_in_attempts(engine: Engine, client: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM public.sign_in_attempts WHERE client = :client"), {"client": client})


def habits_named(api: httpx.Client, name: str) -> list[dict]:
    return [h for h in api.get("/habits/").json() if h["name"] == name]


def test_health_ok_when_api_healthy(app_client: MakeClient, api_url: str) -> None:
    client = app_client(port_of(api_url))
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "healthy", "api": "ok"}


def test_page_lists_habit_created_through_the_api(app_client: MakeClient, api: httpx.Client, api_url: str) -> None:
    name = f"meditate-{uuid.uuid4().hex[:8]}"
    habit = api.post("/habits/", json={"name": name, "category": "mindfulness"}).json()
    client = app_client(port_of(api_url))
    for path in ("/", "/habits/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.content_type.startswith("text/html")
        assert name in response.text and "mindfulness" in response.text
    api.delete(f"/habits/{habit['id']}/")


def test_page_revalidates_its_list_with_the_api(app_client: MakeClient, api: httpx.Client, api_url: str) -> None:
    """The worker keeps the list it read last and asks the api with If-None-Match: unchanged data is the same
    list (a 304, not re-read), a write made elsewhere shows on the next page."""
    client = app_client(port_of(api_url))
    api_client = client.application.extensions["ichrisbirch_api"]
    first = api_client.list_habits()
    assert first.etag and api_client.list_habits() is first
    name = f"elsewhere-{uuid.uuid4().hex[:8]}"
    habit = api.post("/habits/", json={"name": name, "category": "c"}).json()
    assert name in client.get("/habits/").text
    assert api_client.list_habits() is not first
    api.delete(f"/habits/{habit['id']}/")
    assert name not in client.get("/habits/").text


def test_signed_in_form_creates_habit_and_redirects(app_client: MakeClient, api: httpx.Client, api_url: str) -> None:
    name = f"stretch-{uuid.uuid4().hex[:8]}"
    client = app_client(port_of(api_url))
    token = sign_in(client)
    response = client.post("/habits/", data={"csrf_token": token, "name": name, "category": "health"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/habits/")
    assert name in client.get("/habits/").text
    created = habits_named(api, name)
    assert len(created) == 1
    api.delete(f"/habits/{created[0]['id']}/")


def test_reading_is_public_and_offers_sign_in_instead_of_the_form(app_client: MakeClient, api_url: str) -> None:
    response = app_client(port_of(api_url)).get("/habits/")
    assert response.status_code == 200
    assert "Sign in</a> to add habits" in response.text and 'name="category"' not in response.text
    assert "Set-Cookie" not in response.headers  # readers get no session


def test_anonymous_post_is_refused_and_writes_nothing(app_client: MakeClient, api: httpx.Client, api_url: str) -> None:
    name = f"intruder-{uuid.uuid4().hex[:8]}"
    client = app_client(port_of(api_url))
    without_session = client.post("/habits/", data={"name": name, "category": "spam"})
    assert without_session.status_code == 400
    # A visitor who fetched a token from the sign-in page but did not sign in is sent to sign in.
    token = form_token(client.get("/login").text)
    anonymous = client.post("/habits/", data={"csrf_token": token, "name": name, "category": "spam"})
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"].endswith("/login?next=%2Fhabits%2F")
    assert habits_named(api, name) == []


@pytest.mark.parametrize("sent", ["missing", "wrong", "another session's"])
def test_post_without_the_sessions_csrf_token_is_400_and_writes_nothing(
    sent: str, app_client: MakeClient, api: httpx.Client, api_url: str
) -> None:
    name = f"forged-{uuid.uuid4().hex[:8]}"
    client = app_client(port_of(api_url))
    sign_in(client)
    tokens = {"missing": None, "wrong": "not-the-token",
              "another session's": sign_in(app_client(port_of(api_url)))}
    data = {"name": name, "category": "spam"}
    if tokens[sent] is not None:
        data["csrf_token"] = tokens[sent]
    response = client.post("/habits/", data=data)
    assert response.status_code == 400
    assert "security token is missing or out of date" in response.text
    assert habits_named(api, name) == []


def test_wrong_password_is_refused_and_does_not_sign_in(app_client: MakeClient, api_url: str) -> None:
    client = app_client(port_of(api_url))
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "password": "guess", "next": "/habits/"})
    assert response.status_code == 401
    assert "Wrong password." in response.text
    assert 'name="category"' not in client.get("/habits/").text


def test_session_cookie_is_httponly_lax_and_secure_over_https(app_client: MakeClient, api_url: str) -> None:
    plain = app_client(port_of(api_url)).get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    behind_tls_proxy = app_client(port_of(api_url), TRUSTED_PROXY_COUNT="1").get(
        "/login", headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
    assert "Secure" in behind_tls_proxy and "HttpOnly" in behind_tls_proxy
    no_trusted_proxy = app_client(port_of(api_url)).get(  # anyone can send the header: believed only behind a proxy
        "/login", headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
    assert "Secure" not in no_trusted_proxy
    direct_https = app_client(port_of(api_url)).get("/login", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in direct_https


def test_sign_out_ends_the_session(app_client: MakeClient, api_url: str) -> None:
    client = app_client(port_of(api_url))
    token = sign_in(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert 'name="category"' not in client.get("/habits/").text
    token = form_token(client.get("/login").text)
    assert client.post("/habits/", data={"csrf_token": token, "name": "x", "category": "y"}).status_code == 303


def test_sign_in_never_redirects_off_site(app_client: MakeClient, api_url: str) -> None:
    client = app_client(port_of(api_url))
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "password": ADMIN_PASSWORD,
                                           "next": "//evil.example/steal"})
    assert response.headers["Location"].endswith("/habits/")


def test_password_never_appears_in_the_apps_log(api: httpx.Client, api_url: str, log_dir: Path, engine: Engine) -> None:
    """The real Flask server at debug level: a wrong and a right sign-in, a write; the log holds neither password."""
    forget_sign_in_attempts(engine, "127.0.0.1")
    port, wrong = free_port(), "wrong-horse-battery"
    env = {**APP_ENV, "FASTAPI_PORT": str(port_of(api_url)), "LOG_LEVEL": "debug"}
    app = ServiceProcess(["-m", "flask", "--app", "ichrisbirch.wsgi_app:app", "run", "--host", "127.0.0.1",
                          "--port", str(port), "--no-reload"], env, log_dir, "app-sign-in")
    name = f"logged-{uuid.uuid4().hex[:8]}"
    try:
        app.wait_http(f"http://127.0.0.1:{port}/health")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as browser:
            token = form_token(browser.get("/login").text)
            assert browser.post("/login", data={"csrf_token": token, "password": wrong}).status_code == 401
            assert browser.post("/login", data={"csrf_token": token, "password": ADMIN_PASSWORD}).status_code == 303
            token = form_token(browser.get("/habits/").text)
            assert browser.post("/habits/", data={"csrf_token": token, "name": name, "category": "log"}).status_code == 303
    finally:
        app.stop()
    log = app.log_path.read_text()
    assert "sign-in refused: wrong password" in log and "signed in" in log and "POST /habits/" in log
    assert ADMIN_PASSWORD not in log and wrong not in log
    api.delete(f"/habits/{habits_named(api, name)[0]['id']}/")


def test_form_with_invalid_input_shows_readable_error(app_client: MakeClient, api_url: str) -> None:
    client = app_client(port_of(api_url))
    token = sign_in(client)
    response = client.post("/habits/", data={"csrf_token": token, "name": " ", "category": "health"})
    assert response.status_code == 400
    assert "Invalid habit" in response.text and "name" in response.text
    assert "Traceback" not in response.text


def test_health_503_when_api_down(app_client: MakeClient) -> None:
    client = app_client(free_port())
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["status"] == "unhealthy"
    assert "unreachable" in response.json["api"]


def test_error_page_when_api_unreachable(app_client: MakeClient) -> None:
    client = app_client(free_port())
    response = client.get("/habits/")
    assert response.status_code == 503
    assert response.content_type.startswith("text/html")
    assert "Error 503" in response.text and "unreachable" in response.text
    assert "Traceback" not in response.text
    token = form_token(client.get("/login").text)
    refused = client.post("/login", data={"csrf_token": token, "password": ADMIN_PASSWORD})
    assert refused.status_code == 503 and "unreachable" in refused.text  # an attempt that cannot be counted is refused


def test_unknown_page_is_readable_404(app_client: MakeClient, api_url: str) -> None:
    response = app_client(port_of(api_url)).get("/nope")
    assert response.status_code == 404
    assert "Error 404" in response.text
