"""The Flask app (in-process test client) talking to the real api subprocess."""

from __future__ import annotations

import uuid
from typing import Callable, Iterator

import httpx
import pytest
from flask.testing import FlaskClient

from ichrisbirch.app import create_app
from ichrisbirch.config import load_app_settings
from tests.servers import API_SECRET_KEY, free_port

MakeClient = Callable[[int], FlaskClient]


@pytest.fixture()
def app_client() -> Iterator[MakeClient]:
    """A factory of test clients of the app talking to the api on the given port.

    Keep the returned client referenced while using its responses (Flask holds the app weakly).
    """
    apps = []

    def make(api_port: int) -> FlaskClient:
        settings = load_app_settings({
            "ENVIRONMENT": "testing", "FASTAPI_HOST": "127.0.0.1", "FASTAPI_PORT": str(api_port),
            "FLASK_SECRET_KEY": "test-flask-secret", "API_SECRET_KEY": API_SECRET_KEY,
        })
        apps.append(create_app(settings))
        return apps[-1].test_client()

    yield make
    for app in apps:
        app.extensions["ichrisbirch_api"].close()


def port_of(url: str) -> int:
    return httpx.URL(url).port or 80


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


def test_form_creates_habit_and_redirects(app_client: MakeClient, api: httpx.Client, api_url: str) -> None:
    name = f"stretch-{uuid.uuid4().hex[:8]}"
    client = app_client(port_of(api_url))
    response = client.post("/habits/", data={"name": name, "category": "health"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/habits/")
    assert name in client.get("/habits/").text
    created = [h for h in api.get("/habits/").json() if h["name"] == name]
    assert len(created) == 1
    api.delete(f"/habits/{created[0]['id']}/")


def test_form_with_invalid_input_shows_readable_error(app_client: MakeClient, api_url: str) -> None:
    response = app_client(port_of(api_url)).post("/habits/", data={"name": " ", "category": "health"})
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
    assert client.post("/habits/", data={"name": "x", "category": "y"}).status_code == 503


def test_unknown_page_is_readable_404(app_client: MakeClient, api_url: str) -> None:
    response = app_client(port_of(api_url)).get("/nope")
    assert response.status_code == 404
    assert "Error 404" in response.text
