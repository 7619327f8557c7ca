"""`python -m bot.bench reminders [--quick]`: the reminder engine's figures, printed.

Programs that print numbers, never assertions on time: a loaded machine gives lower figures,
not a failure. Sections: (a) the emulator's ceiling, (b) fan-out with the rate limiter off,
(c) delivery at the real 30 messages/s, (d) start-up time and peak RSS against a JobQueue.
"""

from __future__ import annotations

import asyncio
import cProfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.bench import databases, startup
from bot.bench.fanout import FanOut, fan_out, profile_summary
from bot.bench.seed import seed_sqlite_file
from bot.sandbox import bench as emulator_bench
from bot.sandbox.emulator import Emulator
from bot.store.database import Database

TARGET_PER_SECOND = 1_000
LIMITED_RATE = 30.0  # Settings.rate_limit_per_second default (Telegram's ~30 messages/s)


@dataclass(frozen=True)
class Plan:
    emulator_calls: int
    fanout: int
    limited: int
    bot_sizes: tuple[int, ...]
    jobqueue_sizes: tuple[int, ...]


FULL = Plan(10_000, 5_000, 1_500, (0, 100_000, 1_000_000), (10_000, 100_000))
QUICK = Plan(1_000, 200, 90, (0, 2_000, 10_000), (1_000, 5_000))


def _sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{directory / name}"


async def emulator_ceiling(plan: Plan) -> float:
    print("## emulator ceiling")
    rate, per_cpu = await emulator_bench.measure(plan.emulator_calls)
    print(f"sendMessage, one keep-alive client in another process, {plan.emulator_calls} calls")
    print(f"emulator ceiling: {rate:,.0f} msgs/s wall, {per_cpu:,.0f} per CPU-second")
    return rate


async def fanout_section(
    plan: Plan, directory: Path, ceiling: float, *, postgres: bool, profile: bool
) -> None:
    print("\n## fan-out (rate limiter off)")
    profiler = cProfile.Profile() if profile else None
    results: list[tuple[str, FanOut]] = []
    sqlite = await fan_out(_sqlite_url(directory, "fanout.db"), plan.fanout, profile=profiler)
    results.append(("sqlite", sqlite))
    if postgres:
        admin = databases.postgres_admin_url()
        reason = await databases.postgres_available(admin)
        if reason is None:
            async with databases.fresh_postgres(admin) as url:
                results.append(("postgresql", await fan_out(url, plan.fanout)))
        else:
            print(f"postgresql skipped: {reason}")
    print(
        f"{'database':<12}{'reminders':>10}{'delivered':>10}{'seconds':>9}"
        f"{'reminders/s':>13}{'per CPU-s':>11}{'of ceiling':>12}  target met"
    )
    for name, r in results:
        ratio = r.per_second / ceiling if ceiling else 0.0
        met = r.per_second >= TARGET_PER_SECOND and ratio >= 0.5
        print(
            f"{name:<12}{r.reminders:>10}{r.delivered:>10}{r.seconds:>9.2f}"
            f"{r.per_second:>13,.0f}{r.per_cpu_second:>11,.0f}{ratio:>11.0%}  "
            f"{'yes' if met else 'no'} (>= {TARGET_PER_SECOND}/s and >= 50% of ceiling)"
        )
    if profiler is not None:
        print("\n### profile of the SQLite fan-out")
        print(profile_summary(profiler))


async def limited_section(plan: Plan, directory: Path) -> None:
    print("\n## rate-limited delivery (30 messages/s)")
    r = await fan_out(
        _sqlite_url(directory, "limited.db"),
        plan.limited,
        rate_limit_per_second=LIMITED_RATE,
        rate_limit_per_chat_per_second=1.0,
    )
    expected = plan.limited / LIMITED_RATE
    # The limiter is a bucket of 30: the first second's 30 go at once, the rest at 30/s.
    bucket = max(0.0, plan.limited - LIMITED_RATE) / LIMITED_RATE
    deviation = (r.seconds - expected) / expected
    print(
        f"{'reminders':>10}{'delivered':>10}{'expected s':>12}{'bucket model s':>16}"
        f"{'measured s':>12}{'deviation':>11}"
    )
    print(
        f"{r.reminders:>10}{r.delivered:>10}{expected:>12.2f}{bucket:>16.2f}{r.seconds:>12.2f}"
        f"{deviation:>+11.1%}  within 5% of n/30: {'yes' if abs(deviation) <= 0.05 else 'no'}"
    )


async def _prepare_file(path: Path, patients: int) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    seed_sqlite_file(str(path), patients, datetime.now(UTC))


async def startup_section(plan: Plan, directory: Path) -> None:
    print("\n## start-up and memory")
    files: dict[int, Path] = {}
    for size in sorted(set(plan.bot_sizes) | {max(plan.jobqueue_sizes)}):
        path = directory / f"patients_{size}.db"
        loop = asyncio.get_running_loop()
        started = loop.time()
        await _prepare_file(path, size)
        files[size] = path
        print(f"seeded {size:,} patients (+1 pending timer each) in {loop.time() - started:.1f} s")
    emulator = Emulator()
    await emulator.start()
    rows: list[startup.Startup] = []
    try:
        for size in plan.bot_sizes:
            rows.append(
                await startup.measure(
                    startup.BOT, files[size], size, emulator.base_url, emulator.token
                )
            )
        for size in plan.jobqueue_sizes:
            source = files[min(s for s in files if s >= size)]
            rows.append(
                await startup.measure(
                    startup.JOBQUEUE, source, size, emulator.base_url, emulator.token
                )
            )
    finally:
        await emulator.stop()
    print(f"{'approach':<34}{'patients':>10}{'start-up s':>12}{'peak RSS MB':>13}{'jobs':>9}")
    labels = {
        startup.BOT: "this bot (timers table)",
        startup.JOBQUEUE: "JobQueue run_daily per patient",
    }
    for row in rows:
        jobs = str(row.jobs) if row.approach == startup.JOBQUEUE else "-"
        print(
            f"{labels[row.approach]:<34}{row.patients:>10,}{row.seconds:>12.2f}"
            f"{row.peak_rss_mb:>13.1f}{jobs:>9}"
        )


async def run(
    *, quick: bool, postgres: bool = True, profile: bool = False, skip_startup: bool = False
) -> None:
    plan = QUICK if quick else FULL
    print(f"# reminders benchmark ({'quick' if quick else 'full'})")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        directory = Path(tmp)
        ceiling = await emulator_ceiling(plan)
        await fanout_section(plan, directory, ceiling, postgres=postgres, profile=profile)
        await limited_section(plan, directory)
        if not skip_startup:
            await startup_section(plan, directory)
