"""A small httpx client for the api, turning failures into :class:`ApiError`."""

from __future__ import annotations

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
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=TIMEOUT, headers={"X-API-Key": api_key})

    def close(self) -> None:
        self.http.close()

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
