"""gunicorn.conf.py: the worker count comes from the CPUs the process may use, or WEB_CONCURRENCY."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

CONF = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
AFFINITY = len(os.sched_getaffinity(0))


def test_workers_follow_web_concurrency_when_set() -> None:
    assert CONF["worker_count"]({"WEB_CONCURRENCY": "3"}) == 3


def test_workers_default_to_the_cpus_the_process_may_use() -> None:
    assert CONF["worker_count"]({}) == CONF["cpu_limit"]() <= AFFINITY


@pytest.mark.parametrize("value", ["0", "four", "-2"])
def test_a_bad_web_concurrency_stops_with_one_line_naming_the_fix(value: str) -> None:
    with pytest.raises(SystemExit, match=r"WEB_CONCURRENCY=.* set a whole number ≥ 1 or unset it"):
        CONF["worker_count"]({"WEB_CONCURRENCY": value})


@pytest.mark.parametrize(("cpu_max", "expected"), [("50000 100000", 1), ("100000 100000", 1), ("max 100000", AFFINITY)])
def test_a_cgroup_v2_cpu_quota_caps_the_worker_count(tmp_path: Path, cpu_max: str, expected: int) -> None:
    (tmp_path / "cpu.max").write_text(cpu_max + "\n")
    assert CONF["cpu_limit"](str(tmp_path)) == expected


def test_a_cgroup_v1_cpu_quota_caps_the_worker_count(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("150000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert CONF["cpu_limit"](str(tmp_path)) == min(2, AFFINITY)
