"""`python -m bot.bench reminders [--quick]`: the reminder engine's figures, printed.

Programs that print numbers, never assertions on time: a loaded machine gives lower figures,
not a failure. Sections: (a) the emulator's ceiling, (b) fan-out with the rate limiter off,
(c) delivery at the real 30 messages/s, (d) start-up time and peak RSS against a JobQueue.
"""

from __future__ import annotations

import asyncio
import cProfile
import dataclasses
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.bench import databases, startup
from bot.bench.fanout import FanOut, default_window, fan_out, fan_out_remote, profile_summary
from bot.bench.machine import speed_line
from bot.bench.seed import seed_sqlite_file
from bot.bench.sendpath import TOKEN as EMULATOR_TOKEN
from bot.bench.sendpath import emulator_process
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


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{directory / name}"


async def emulator_ceiling(plan: Plan) -> float:
    print("## emulator ceiling")
    rate, per_cpu = await emulator_bench.measure(plan.emulator_calls)
    print(f"sendMessage, one keep-alive client in another process, {plan.emulator_calls} calls")
    print(f"emulator ceiling: {rate:,.0f} msgs/s wall, {per_cpu:,.0f} per CPU-second")
    return rate


async def fanout_section(
    plan: Plan,
    directory: Path,
    ceiling: float,
    *,
    postgres: bool,
    profile: bool,
    window: int | None = None,
) -> None:
    print("\n## fan-out (rate limiter off)")
    shown = window if window is not None else default_window()
    print(
        f"DISPATCH_SEND_WINDOW={shown}; emulator 'same': the bot and the emulator in this "
        "process (CPU of both); 'other': the emulator in another process (CPU of the bot alone)"
    )
    profiler = cProfile.Profile() if profile else None
    results: list[tuple[str, str, FanOut]] = []
    async with emulator_process() as emulator_url:

        async def both(name: str, url: str, remote_url: str) -> None:
            results.append(("same", name, await fan_out(url, plan.fanout, send_window=window)))
            other = await fan_out_remote(
                remote_url,
                plan.fanout,
                emulator_url=emulator_url,
                token=EMULATOR_TOKEN,
                send_window=window,
                profile=profiler if name == "sqlite" else None,
            )
            results.append(("other", name, other))

        await both(
            "sqlite", _sqlite_url(directory, "fanout.db"), _sqlite_url(directory, "remote.db")
        )
        if postgres:
            admin = databases.postgres_admin_url()
            reason = await databases.postgres_available(admin)
            if reason is None:
                async with (
                    databases.fresh_postgres(admin) as url,
                    databases.fresh_postgres(admin) as remote_url,
                ):
                    await both("postgresql", url, remote_url)
            else:
                print(f"postgresql skipped: {reason}")
    print(
        f"{'database':<12}{'emulator':>9}{'reminders':>10}{'delivered':>10}{'seconds':>9}"
        f"{'reminders/s':>13}{'per CPU-s':>11}{'of ceiling':>12}  target met"
    )
    for where, name, r in results:
        ratio = r.per_second / ceiling if ceiling else 0.0
        if where == "other":
            met = r.per_cpu_second >= TARGET_PER_SECOND and ratio >= 0.5
            target = "yes" if met else "no"
        else:
            target = "-"
        print(
            f"{name:<12}{where:>9}{r.reminders:>10}{r.delivered:>10}{r.seconds:>9.2f}"
            f"{r.per_second:>13,.0f}{r.per_cpu_second:>11,.0f}{ratio:>11.0%}  {target}"
        )
    print(
        f"target (emulator in another process): >= {TARGET_PER_SECOND} per CPU-second of the "
        "bot and >= 50% of the emulator's ceiling"
    )
    if profiler is not None:
        print("\n### profile of the SQLite fan-out (emulator in another process)")
        print(profile_summary(profiler))


async def limited_section(plan: Plan, directory: Path, window: int | None = None) -> None:
    print("\n## rate-limited delivery (30 messages/s)")
    r = await fan_out(
        _sqlite_url(directory, "limited.db"),
        plan.limited,
        rate_limit_per_second=LIMITED_RATE,
        rate_limit_per_chat_per_second=1.0,
        send_window=window,
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
    *,
    quick: bool,
    postgres: bool = True,
    profile: bool = False,
    skip_startup: bool = False,
    window: int | None = None,
    fanout: int | None = None,
    skip_limited: bool = False,
) -> None:
    plan = QUICK if quick else FULL
    if fanout is not None:
        plan = dataclasses.replace(plan, fanout=fanout)
    print(f"# reminders benchmark ({'quick' if quick else 'full'})")
    print(f"{date.today()}, {os.cpu_count()} cores, load average {_load()}")
    print(speed_line())
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        directory = Path(tmp)
        ceiling = await emulator_ceiling(plan)
        await fanout_section(
            plan, directory, ceiling, postgres=postgres, profile=profile, window=window
        )
        if not skip_limited:
            await limited_section(plan, directory, window)
        if not skip_startup:
            await startup_section(plan, directory)
    print(f"load average after: {_load()}")
