"""uvicorn's gunicorn worker with the asyncio loop and the h11 parser: the server before uvloop and httptools."""

from uvicorn.workers import UvicornWorker


class PlainWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "asyncio", "http": "h11"}
