"""gunicorn's access log in batches (ichrisbirch/access_log.py): whole lines, in order, at most a second late."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import httpx
import pytest

from ichrisbirch.access_log import PIPE_BUF, BatchedLineHandler
from tests.servers import ServiceProcess, free_port, wait_until
from tests.test_app import APP_ENV


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("gunicorn.access", logging.INFO, __file__, 0, message, None, None)


def received(reader: socket.socket) -> list[bytes]:
    """Each write the handler made (a SOCK_SEQPACKET pair keeps write boundaries), without waiting."""
    writes = []
    while True:
        try:
            writes.append(reader.recv(65536, socket.MSG_DONTWAIT))
        except BlockingIOError:
            return writes


@pytest.fixture()
def pair() -> tuple[socket.socket, socket.socket]:
    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    yield reader, writer
    reader.close()
    writer.close()


def test_lines_are_written_whole_in_order_in_writes_of_at_most_pipe_buf(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    handler = BatchedLineHandler(writer.fileno(), interval=60)
    lines = [f'10.0.0.{n % 250}:5{n:04d} - "GET /habits/?page={n} HTTP/1.1" 200' for n in range(500)]
    for line in lines:
        handler.handle(record(line))
    handler.flush()
    writes = received(reader)
    assert b"".join(writes).decode().splitlines() == lines
    assert all(len(w) <= PIPE_BUF and w.endswith(b"\n") for w in writes)
    assert len(writes) <= len(b"".join(writes)) // (PIPE_BUF - 100) + 1  # full writes, not one per line


def test_a_line_is_held_until_the_interval_then_written(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    handler = BatchedLineHandler(writer.fileno(), interval=0.3)
    handler.handle(record("one request"))
    assert received(reader) == []
    assert wait_until(lambda: received(reader), "the held line", timeout=5) == [b"one request\n"]


@pytest.mark.parametrize(("name", "args", "env"), [
    ("api", ["ichrisbirch.wsgi_api:api", "-k", "uvicorn.workers.UvicornWorker"], {}),
    ("app", ["ichrisbirch.wsgi_app:app"], APP_ENV),
])
def test_gunicorn_workers_write_each_access_line_once_while_serving(
    name: str, args: list[str], env: dict[str, str], service_env: dict[str, str], log_dir: Path
) -> None:
    """Two forked workers each flush their own lines within the interval, and nothing twice at exit."""
    port = free_port()
    process = ServiceProcess(["-m", "gunicorn", *args, "--workers", "2", "--bind", f"127.0.0.1:{port}"],
                             {**service_env, **env, "FASTAPI_PORT": "9"}, log_dir, f"access-log-{name}")
    try:
        process.wait_http(f"http://127.0.0.1:{port}/health", statuses=(200, 503))
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for n in range(40):
                client.get(f"/health?n={n}", headers={"Connection": "close"})  # spread over both workers

        def logged() -> int:
            return process.log_path.read_text().count('"GET /health?n=')

        wait_until(lambda: logged() == 40 or None, f"40 access lines in the {name}'s log while it runs", timeout=5)
    finally:
        process.stop()
    assert logged() == 40, process.log()
