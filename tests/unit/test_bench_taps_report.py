"""The pure parts of `bench taps`: percentiles, pooling, ratios, targets, the py-spy summary
and --compare (no processes, no timing)."""

from __future__ import annotations

import math

import pytest

from bot.bench import pyspy
from bot.bench.taps import (
    FULL,
    Load,
    Run,
    compare,
    goal_table,
    goals,
    percentile,
    pooled,
    ratio_table,
    ratios,
)


def _run(config: str, load: str, round_: int, taps: int, cpu: float, p: list[float]) -> Run:
    return Run(config, load, round_, 1, None, taps, 10.0, cpu, cpu / 10, 1.0, 0.5, 0, p)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_pooled_rows_and_ratios_per_round() -> None:
    runs = [
        _run("bare-aiohttp", "closed-1", 1, 2000, 2.0, [1.0, 2.0]),
        _run("bare-aiohttp", "closed-1", 2, 3000, 3.0, [1.0, 4.0]),
        _run("ours-sqlite", "closed-1", 1, 1000, 4.0, [2.0, 4.0]),
        _run("ours-sqlite", "closed-1", 2, 1000, 4.0, [2.0, 8.0]),
    ]
    row = pooled(runs, "ours-sqlite", "closed-1")
    assert row is not None
    assert row.per_second == pytest.approx(100.0)  # 2000 taps in 20 s
    assert row.cpu_ms == pytest.approx(4.0)  # 8 s of CPU for 2000 taps
    assert row.sys_share == pytest.approx(0.1)
    assert row.rounds_per_second == (100.0, 100.0)
    found = {r.figure: r for r in ratios(runs, [Load(1)], ["bare-aiohttp", "ours-sqlite"])}
    assert found["taps/s"].value == pytest.approx(100 / 250)
    assert found["taps/s"].rounds == pytest.approx((0.5, 1 / 3))
    assert found["CPU/tap"].value == pytest.approx(4.0)
    assert found["p99"].value == pytest.approx(8.0 / 4.0)
    table = ratio_table(list(found.values()))
    assert table.count("vs bare-aiohttp") == 1 and "vs bare-httpx" not in table


def test_targets_follow_the_issue() -> None:
    texts = [goal.text for goal in goals(FULL)]
    assert texts == [
        "taps/s >= 0.7x at closed-1",
        "taps/s >= 0.7x at closed-100",
        "CPU/tap <= 1.5x at closed-1",
        "CPU/tap <= 1.5x at closed-10",
        "CPU/tap <= 1.5x at closed-100",
        "CPU/tap <= 1.5x at open-100@20",
        "p99 <= 1.3x at open-100@20",
    ]
    runs = [
        _run("bare-httpx", "closed-1", 1, 1000, 1.0, [10.0]),
        _run("ours-sqlite", "closed-1", 1, 800, 1.6, [10.0]),
    ]
    table = goal_table(FULL, ratios(runs, [Load(1)], ["bare-httpx", "ours-sqlite"]))
    lines = {line.split("  ")[0]: line for line in table.splitlines()[1:]}
    assert lines["taps/s >= 0.7x at closed-1"].split()[-2:] == ["0.80x", "yes"]
    assert lines["CPU/tap <= 1.5x at closed-1"].split()[-2:] == ["2.00x", "no"]


def test_compare_prints_before_and_now() -> None:
    before = {
        "date": "2026-11-28",
        "rows": [
            {
                "config": "ours-sqlite",
                "load": "closed-1",
                "per_second": 100.0,
                "p99": 20.0,
                "cpu_ms": 6.0,
            }
        ],
        "ratios": [
            {
                "load": "closed-1",
                "figure": "taps/s",
                "ours": "ours-sqlite",
                "bare": "bare-aiohttp",
                "value": 0.4,
            }
        ],
    }
    now = {
        "rows": [
            {
                "config": "ours-sqlite",
                "load": "closed-1",
                "per_second": 150.0,
                "p99": 10.0,
                "cpu_ms": 3.0,
            }
        ],
        "ratios": [
            {
                "load": "closed-1",
                "figure": "taps/s",
                "ours": "ours-sqlite",
                "bare": "bare-aiohttp",
                "value": 0.6,
            }
        ],
    }
    text = compare(before, now, "old.json")
    assert "100.0 -> 150.0 (1.50x)" in text
    assert "6.00 -> 3.00 (0.50x)" in text
    assert "0.40x -> 0.60x (1.50x)" in text


_MAIN = "<module> (exercise-bot:8);main (bot/cli.py:306)"
_HANDLER = "on_callback (bot/telegram/handlers.py:245)"
RAW = [
    f"{_MAIN};{_HANDLER};tap (bot/services/sessions.py:184);"
    "AsyncSession.execute (sqlalchemy/ext/asyncio/session.py:463) 6",
    f"{_MAIN};{_HANDLER};Bot.edit_message_text (telegram/_bot.py:4000);"
    "dumps (json/__init__.py:231) 2",
    "Session.execute (sqlalchemy/orm/session.py:2555);"
    "Session._execute_internal (sqlalchemy/orm/session.py:2445) 2",
    "not a stack line",
]


def test_py_spy_summary_by_area_package_and_our_functions() -> None:
    profile = pyspy.summarise(RAW)
    assert profile.samples == 10
    assert profile.areas["our handlers (bot/telegram/handlers.py)"] == 8
    assert profile.areas["database: SQLAlchemy + driver (anywhere)"] == 8
    assert profile.areas["  in greenlets (stack cut off from its caller)"] == 2
    assert profile.areas["  Bot API calls from handlers (PTB Bot ... transport)"] == 2
    assert profile.areas["JSON (json module)"] == 2
    assert profile.packages_self == {"sqlalchemy": 8, "stdlib:json": 2}
    assert profile.ours["tap (bot/services/sessions.py)"] == 6
    assert profile.ours["on_callback (bot/telegram/handlers.py)"] == 8  # once per sample
    text = pyspy.report(pyspy.merge([profile, profile]))
    assert text.startswith("20 samples")
    assert " 80.0%  our handlers" in text
