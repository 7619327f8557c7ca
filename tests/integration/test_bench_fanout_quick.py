"""The fan-out benchmark alone (``python -m bot.bench.fanout``) runs to the end with a tiny
N and prints one line per round with every reminder delivered and positive figures; on
PostgreSQL too. Never a time threshold."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

LINE = re.compile(
    r"^(\w+) round (\d+): (\d+) of (\d+) delivered, ([\d,]+)/s, ([\d,]+) per CPU-second$"
)


def _run(database: str, **extra_env: str) -> list[re.Match[str]]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", **extra_env}
    args = [sys.executable, "-m", "bot.bench.fanout", "30", "--database", database, "--rounds", "2"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: 10M empty Python loop iterations in ")
    return [m for line in lines[1:] if (m := LINE.match(line))]


def _check(rounds: list[re.Match[str]], database: str) -> None:
    assert [(m[1], m[2]) for m in rounds] == [(database, "1"), (database, "2")]
    for m in rounds:
        assert m[3] == m[4] == "30"
        assert int(m[5].replace(",", "")) > 0 and int(m[6].replace(",", "")) > 0


def test_the_fan_out_benchmark_on_sqlite() -> None:
    _check(_run("sqlite"), "sqlite")


@pytest.mark.postgres
def test_the_fan_out_benchmark_on_postgresql(postgres_url: str) -> None:
    """The benchmark makes (and drops) a database of its own through the admin URL."""
    admin = os.environ["TEST_POSTGRES_URL"]
    _check(_run("postgresql", BENCH_POSTGRES_URL=admin), "postgresql")
