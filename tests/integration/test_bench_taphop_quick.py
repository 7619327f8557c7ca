"""The tap-hop benchmark (``python -m bot.bench.taphop``) runs to the end with a tiny N on
PostgreSQL and prints its table: both variants, positive figures, the baseline at 1x.
Never a time threshold."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.postgres


def test_the_tap_hop_benchmark_prints_both_variants(postgres_url: str) -> None:
    env = {**os.environ, "BENCH_POSTGRES_URL": os.environ["TEST_POSTGRES_URL"]}
    args = [sys.executable, "-m", "bot.bench.taphop", "20", "--rounds", "2"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line.split() for line in done.stdout.splitlines()[3:]]
    assert [" ".join(row[:-4]) for row in rows] == ["read each tap", "known sessions"]
    for row in rows:
        wall, cpu = float(row[-4]), float(row[-3])
        assert wall > 0 and cpu > 0
    assert rows[0][-2:] == ["1.00x", "1.00x"]
