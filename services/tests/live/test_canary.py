"""Proves that a failing test fails the run: ``pytest tests/live -m canary`` must exit non-zero."""

import pytest


@pytest.mark.canary
def test_canary() -> None:
    pytest.fail("canary: fails on purpose to prove the test-runner propagates failures")
