"""The quick taps benchmark runs to the end and prints its tables.

Only shape and sanity are asserted (every configuration and load has a row with positive
figures, every ratio and target row is there, the JSON holds the same): never a time
threshold, which would fail on a busy machine rather than on a bug.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

LOADS = ("closed-1", "closed-3", "closed-6", "open-6@10")
BARE = ("bare-httpx", "bare-aiohttp")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], list[str]]:
    folder = tmp_path_factory.mktemp("taps")
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    args = [sys.executable, "-m", "bot.bench", "taps", "--quick", "--json", str(folder / "t.json")]
    ours = ["ours-sqlite"]
    if env.get("TEST_POSTGRES_URL"):
        ours.append("ours-postgres")
    else:
        args.append("--no-postgres")
    done = subprocess.run(args, capture_output=True, text=True, timeout=90, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads((folder / "t.json").read_text()), ours


def _section(text: str, heading: str) -> list[list[str]]:
    """The rows of a table under a heading (the rest of the heading line and the column
    names left out)."""
    part = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line.split() for line in part.strip().splitlines()[2:]]


def _number(cell: str) -> float:
    return float(cell.rstrip("x").replace(",", ""))


def test_every_load_has_a_row_per_configuration(
    result: tuple[str, dict[str, Any], list[str]],
) -> None:
    output, _, ours = result
    for load in LOADS:
        rows = _section(output, f"## {load}:")
        assert [row[0] for row in rows] == [*BARE, *ours]
        for row in rows:
            taps, per_second, p50, p95, p99, cpu = (_number(c) for c in row[1:7])
            assert taps > 0 and per_second > 0
            assert 0 < p50 <= p95 <= p99
            assert cpu > 0
        if load.startswith("open"):
            assert all(_number(row[1]) / 1.0 == pytest.approx(10, abs=4) for row in rows)


def test_ratios_for_each_of_ours_against_both_bare_bots(
    result: tuple[str, dict[str, Any], list[str]],
) -> None:
    output, _, ours = result
    rows = _section(output, "## ours / bare")
    expected = [
        (load, figure, o) for load in LOADS for o in ours for figure in ("taps/s", "CPU/tap", "p99")
    ]
    assert sorted((r[0], r[1], r[2]) for r in rows) == sorted(expected)
    assert "vs bare-aiohttp" in output and "vs bare-httpx" in output
    for row in rows:
        assert _number(row[3]) > 0 and _number(row[5]) > 0  # both baselines, as ratios


def test_targets_say_whether_each_is_met(result: tuple[str, dict[str, Any], list[str]]) -> None:
    output, _, ours = result
    rows = _section(output, "## targets")
    targets = [" ".join(r[:5]) for r in rows]
    wanted = ["taps/s >= 0.7x at closed-1", "taps/s >= 0.7x at closed-6"]
    wanted += [f"CPU/tap <= 1.5x at {load}" for load in LOADS] + ["p99 <= 1.3x at open-6@10"]
    assert sorted(targets) == sorted(t for t in wanted for _ in ours)
    for row in rows:
        assert row[5] in ours
        assert row[7] in ("yes", "no") and row[9] in ("yes", "no")


def test_json_has_the_same_figures(result: tuple[str, dict[str, Any], list[str]]) -> None:
    _, figures, ours = result
    assert {(r["config"], r["load"]) for r in figures["rows"]} == {
        (c, load) for c in (*BARE, *ours) for load in LOADS
    }
    assert all(r["taps"] > 0 and r["cpu_ms"] > 0 for r in figures["rows"])
    assert len(figures["ratios"]) == len(LOADS) * 3 * len(ours) * 2
    assert len(figures["runs"]) == len(LOADS) * (2 + len(ours))
