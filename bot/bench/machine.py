"""How fast this machine runs Python right now, printed beside every benchmark's figures.

The machine these benchmarks run on changed speed by about 2x between sessions (a shared
host): an absolute figure such as "reminders per CPU-second" means little without it.
Ratios measured in the same run stay the ones to compare (docs/BENCHMARKS.md)."""

from __future__ import annotations

import time

LOOP = 10_000_000


def python_speed(rounds: int = 3) -> float:
    """Seconds for 10 million iterations of an empty Python loop, the best of ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(LOOP):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def speed_line() -> str:
    return f"machine: 10M empty Python loop iterations in {python_speed():.2f} s (best of 3)"
