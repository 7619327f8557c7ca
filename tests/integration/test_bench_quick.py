"""The quick reminder benchmark runs to the end and prints its tables.

Only shape and sanity are asserted (headings, every reminder delivered, positive figures):
never a time threshold, which would fail on a busy machine rather than on a bug.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

HEADINGS = (
    "## emulator ceiling",
    "## fan-out (rate limiter off)",
    "## rate-limited delivery (30 messages/s)",
    "## start-up and memory",
)


@pytest.fixture(scope="module")
def output() -> str:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    args = [sys.executable, "-m", "bot.bench", "reminders", "--quick"]
    if not env.get("TEST_POSTGRES_URL"):
        args.append("--no-postgres")
    done = subprocess.run(args, capture_output=True, text=True, timeout=110, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _rows(text: str, heading: str) -> list[list[str]]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line.split() for line in section.strip().splitlines()[1:]]


def _number(cell: str) -> float:
    return float(cell.replace(",", "").rstrip("%"))


def test_prints_every_section(output: str) -> None:
    for heading in HEADINGS:
        assert heading in output


def test_emulator_ceiling_is_positive(output: str) -> None:
    match = re.search(r"emulator ceiling: ([\d,]+) msgs/s", output)
    assert match is not None
    assert _number(match.group(1)) > 0


def test_fan_out_delivers_every_reminder(output: str) -> None:
    rows = [r for r in _rows(output, HEADINGS[1]) if r[0] in {"sqlite", "postgresql"}]
    assert rows and rows[0][0] == "sqlite"
    # the emulator in this process and in another one, for each database
    assert {row[1] for row in rows} == {"same", "other"}
    for row in rows:
        reminders, delivered, seconds, per_second, per_cpu = (_number(c) for c in row[2:7])
        assert reminders > 0 and delivered == reminders
        assert seconds > 0 and per_second > 0 and per_cpu > 0


def test_rate_limited_delivery_delivers_everything(output: str) -> None:
    row = _rows(output, HEADINGS[2])[0]
    reminders, delivered, expected, _bucket, measured = (_number(c) for c in row[:5])
    assert delivered == reminders == 90
    assert expected == pytest.approx(3.0)
    assert measured > 0


def test_start_up_table_has_both_approaches(output: str) -> None:
    lines = output.split(HEADINGS[3], 1)[1].splitlines()
    bot = [line for line in lines if line.startswith("this bot")]
    jobqueue = [line for line in lines if line.startswith("JobQueue")]
    assert len(bot) == 3 and len(jobqueue) == 2
    for line in bot + jobqueue:
        numbers = re.findall(r"[\d,]+\.\d+", line)
        assert len(numbers) == 2 and all(_number(n) > 0 for n in numbers)
    for line in jobqueue:  # one job per patient really was scheduled
        cells = line.split()
        assert cells[-1] == cells[-4].replace(",", "")
