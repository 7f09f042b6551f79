"""``POST /sign-in/attempts``: count a sign-in attempt from a client address, 429 past the limit.

The app asks before it checks a password.  The count lives in PostgreSQL (one row per
address, a fixed window), so it holds across gunicorn workers, app and api replicas and
restarts, and while Redis is down: there is no fallback to fail open.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

router = APIRouter(prefix="/sign-in", tags=["sign-in"])

SIGN_IN_LIMIT = 10  # attempts per client address per window
SIGN_IN_WINDOW_SECONDS = 600

# One statement: a new window when the row's is over, else one more attempt; returns the count and the seconds
# the window has left.
COUNT_ATTEMPT_SQL = text("""
INSERT INTO public.sign_in_attempts AS a (client, window_start, attempts) VALUES (:client, now(), 1)
ON CONFLICT (client) DO UPDATE SET
    attempts = CASE WHEN a.window_start <= now() - make_interval(secs => :window) THEN 1 ELSE a.attempts + 1 END,
    window_start = CASE WHEN a.window_start <= now() - make_interval(secs => :window) THEN now() ELSE a.window_start END
RETURNING attempts, GREATEST(1, CEIL(:window - EXTRACT(EPOCH FROM now() - window_start)))::int AS retry_after
""")


class Attempt(BaseModel):
    client: str = Field(min_length=1, max_length=100)


@router.post("/attempts")
def count_attempt(attempt: Attempt, request: Request) -> JSONResponse:
    with request.app.state.engine.begin() as connection:
        attempts, retry_after = connection.execute(
            COUNT_ATTEMPT_SQL, {"client": attempt.client, "window": SIGN_IN_WINDOW_SECONDS}
        ).one()
    if attempts > SIGN_IN_LIMIT:
        return JSONResponse(
            {"detail": f"more than {SIGN_IN_LIMIT} sign-in attempts from {attempt.client} in "
                       f"{SIGN_IN_WINDOW_SECONDS // 60} minutes", "retry_after": retry_after},
            status_code=429, headers={"Retry-After": str(retry_after)},
        )
    return JSONResponse({"attempts": attempts, "limit": SIGN_IN_LIMIT, "retry_after": retry_after})
