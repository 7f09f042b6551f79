"""A small httpx client for the api, turning failures into :class:`ApiError`."""

from __future__ import annotations

import os
import threading
from typing import Any

import httpx

TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class ApiError(Exception):
    """``status`` is what the app answers: 503 api unreachable, 502 bad api answer,
    400 the api rejected the user's input."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ApiClient:
    """One pooled keep-alive httpx client per process, made on first use.

    gunicorn preloads the app in its master and forks the workers: a client made
    at import would be shared by every worker, sockets included.  Made on first
    use in each process instead (and remade if the process forked since), each
    worker keeps its own connections to the api open between requests.  httpx's
    client is thread-safe, so a worker's threads share it.
    """

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self._http: httpx.Client | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @property
    def http(self) -> httpx.Client:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT, headers={"X-API-Key": self.api_key})
                    self._pid = os.getpid()
        return self._http  # type: ignore[return-value]

    def close(self) -> None:
        if self._http is not None and self._pid == os.getpid():
            self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ApiError(503, f"The api at {self.base_url} did not answer in time.") from None
        except httpx.TransportError as error:
            raise ApiError(503, f"The api at {self.base_url} is unreachable ({type(error).__name__}).") from None

    def health(self) -> None:
        response = self._request("GET", "/health")
        if response.status_code != 200:
            raise ApiError(503, f"api /health answered {response.status_code}: {response.text[:200]}")

    def list_habits(self) -> list[dict[str, Any]]:
        response = self._request("GET", "/habits/")
        if response.status_code != 200:
            raise ApiError(502, f"The api answered {response.status_code} when listing habits.")
        return response.json()

    def create_habit(self, *, name: str, category: str) -> dict[str, Any]:
        response = self._request("POST", "/habits/", json={"name": name, "category": category})
        if response.status_code == 422:
            raise ApiError(400, "Invalid habit: " + _validation_summary(response))
        if response.status_code != 201:
            raise ApiError(502, f"The api answered {response.status_code} when creating a habit.")
        return response.json()


def _validation_summary(response: httpx.Response) -> str:
    try:
        errors = response.json()["detail"]
        return "; ".join(f"{error['loc'][-1]}: {error['msg']}" for error in errors)
    except (ValueError, KeyError, TypeError, IndexError):
        return "the api rejected the input"
