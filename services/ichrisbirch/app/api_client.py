"""A small urllib3 client for the api, turning failures into :class:`ApiError`.

urllib3 rather than httpx: the app's page is mostly this call, and urllib3 spends about 0.9 ms of CPU per
request where httpx spends 1.5 ms (measured in one process on the 2-core machine; see BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

TIMEOUT = urllib3.Timeout(connect=2.0, read=5.0)
POOL_SIZE = 8  # ≥ the threads of a gunicorn worker (gunicorn.conf.py)


class ApiError(Exception):
    """``status`` is what the app answers: 503 api unreachable, 502 bad api answer,
    400 the api rejected the user's input."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, eq=False)
class Listing:
    """The habits list as the api last sent it; compared (and cached) by identity."""
    etag: str | None
    habits: list[dict[str, Any]]


class ApiResponse:
    def __init__(self, status: int, body: bytes, etag: str | None = None) -> None:
        self.status_code = status
        self.body = body
        self.etag = etag

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class ApiClient:
    """One pooled keep-alive connection pool per process, made on first use.

    gunicorn preloads the app in its master and forks the workers: a pool made at import would be shared by
    every worker, sockets included.  Made on first use in each process instead (and remade if the process
    forked since), each worker keeps its own connections to the api open between requests; its threads
    share the pool.
    """

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.headers = {"X-API-Key": api_key}
        self._pool: urllib3.HTTPConnectionPool | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._listing: Listing | None = None  # the last list this process read, with its ETag
        self._listing_pid = 0

    @property
    def pool(self) -> urllib3.HTTPConnectionPool:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._pool = urllib3.connection_from_url(self.base_url, maxsize=POOL_SIZE, timeout=TIMEOUT, retries=False)
                    self._pid = os.getpid()
        return self._pool  # type: ignore[return-value]

    def close(self) -> None:
        if self._pool is not None and self._pid == os.getpid():
            self._pool.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> ApiResponse:
        headers = {**self.headers, **(headers or {})}
        if body is not None:
            headers["Content-Type"] = "application/json"
        data = None if body is None else json.dumps(body).encode()
        try:
            response = self.pool.urlopen(method, path, body=data, headers=headers, retries=False)
        except NewConnectionError as error:  # a TimeoutError subclass in urllib3 1.26, but a refusal
            raise ApiError(503, f"The api at {self.base_url} is unreachable ({type(error).__name__}).") from None
        except TimeoutError:
            raise ApiError(503, f"The api at {self.base_url} did not answer in time.") from None
        except HTTPError as error:
            raise ApiError(503, f"The api at {self.base_url} is unreachable ({type(error).__name__}).") from None
        return ApiResponse(response.status, response.data, response.headers.get("ETag"))

    def health(self) -> str:
        """The api's health status (``healthy`` or ``degraded``); :class:`ApiError` when it does not serve."""
        response = self._request("GET", "/health")
        if response.status_code != 200:
            raise ApiError(503, f"api /health answered {response.status_code}: {response.text[:200]}")
        try:
            return str(response.json()["status"])
        except (ValueError, KeyError, TypeError):
            raise ApiError(503, f"api /health answered 200 without a status: {response.text[:200]}") from None

    def count_sign_in_attempt(self, client: str) -> int | None:
        """Count a sign-in attempt from ``client``: None when it may go on, else the seconds until it may retry."""
        response = self._request("POST", "/sign-in/attempts", {"client": client})
        if response.status_code == 200:
            return None
        if response.status_code == 429:
            return int(response.json()["retry_after"])
        raise ApiError(503, f"The api answered {response.status_code} when counting a sign-in attempt.")

    def list_habits(self) -> Listing:
        """The list, revalidated with the api on every call: ``304`` keeps this worker's last one."""
        last = self._listing if self._listing_pid == os.getpid() else None
        conditional = {"If-None-Match": last.etag} if last is not None and last.etag else None
        response = self._request("GET", "/habits/", headers=conditional)
        if response.status_code == 304 and last is not None:
            return last
        if response.status_code != 200:
            raise ApiError(502, f"The api answered {response.status_code} when listing habits.")
        listing = Listing(response.etag, response.json())
        self._listing, self._listing_pid = listing, os.getpid()
        return listing

    def create_habit(self, *, name: str, category: str) -> dict[str, Any]:
        response = self._request("POST", "/habits/", {"name": name, "category": category})
        if response.status_code == 422:
            raise ApiError(400, "Invalid habit: " + _validation_summary(response))
        if response.status_code != 201:
            raise ApiError(502, f"The api answered {response.status_code} when creating a habit.")
        return response.json()


def _validation_summary(response: ApiResponse) -> str:
    try:
        errors = response.json()["detail"]
        return "; ".join(f"{error['loc'][-1]}: {error['msg']}" for error in errors)
    except (ValueError, KeyError, TypeError, IndexError):
        return "the api rejected the input"
