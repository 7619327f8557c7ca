"""The send-path benchmark runs to the end with a tiny N and prints both tables.

Only shape and sanity are asserted (three rows each, positive figures, the baseline at 1x):
never a time threshold, which would fail on a busy machine rather than on a bug.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

VARIANTS = ["ptb-httpx", "ptb-aiohttp", "lean-aiohttp", "raw-aiohttp"]
HEADINGS = ("## sequential (1 in flight)", "## 4 in flight")


@pytest.fixture(scope="module")
def output() -> str:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    args = [sys.executable, "-m", "bot.bench.sendpath", "30", "--rounds", "1", "--window", "4"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=100, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _rows(text: str, heading: str) -> list[list[str]]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line.split() for line in section.strip().splitlines()[1:]]


@pytest.mark.parametrize("heading", HEADINGS)
def test_each_table_has_the_four_variants(output: str, heading: str) -> None:
    rows = _rows(output, heading)
    assert [row[0] for row in rows] == VARIANTS
    for row in rows:
        per_cpu, per_second, cpu_ms = (float(cell.replace(",", "")) for cell in row[1:4])
        assert per_cpu > 0 and per_second > 0 and cpu_ms > 0
    assert rows[0][4:6] == ["1.00x", "1.00x"]  # the baseline against itself
