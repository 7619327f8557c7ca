"""Due reminders through the full path: claim, render, send (to the emulator), record.

``fan_out``: the real PTB bot and the emulator share this process (``Sandbox``), so the
figure is what one core does for both sides. ``fan_out_remote``: the emulator is another
process (``exercise-bot emulator``), so the CPU seconds are the bot's own (issue 13's
"per CPU-second of the bot"). The database server, when PostgreSQL, is another process.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import tempfile
import time
from dataclasses import dataclass

from bot.app import build_application, build_services
from bot.bench import databases
from bot.bench.machine import speed_line
from bot.bench.seed import FIRST_USER_ID, seed_due
from bot.bench.sendpath import TOKEN, emulator_process
from bot.config import Settings
from bot.core.clock import SystemClock
from bot.sandbox.control import SandboxClient
from bot.sandbox.harness import Sandbox


def default_window() -> int | None:
    """DISPATCH_SEND_WINDOW's default (None on code older than the setting)."""
    field = Settings.model_fields.get("dispatch_send_window")
    return None if field is None else int(field.default)


def _window(send_window: int | None) -> dict[str, int]:
    """The setting, when given (older code ignores it: settings ignore unknown names)."""
    return {} if send_window is None else {"dispatch_send_window": send_window}


@dataclass(frozen=True)
class FanOut:
    reminders: int
    delivered: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.delivered / self.cpu_seconds if self.cpu_seconds else 0.0


async def fan_out(
    database_url: str,
    n: int,
    *,
    rate_limit_per_second: float = 1e9,
    rate_limit_per_chat_per_second: float = 0.0,
    profile: cProfile.Profile | None = None,
    send_window: int | None = None,
) -> FanOut:
    """Seed n due reminders (patients known to the emulator), time one dispatcher drain."""
    sandbox = Sandbox(
        database_url=database_url,
        rate_limit_per_second=rate_limit_per_second,
        rate_limit_per_chat_per_second=rate_limit_per_chat_per_second,
        dispatch_batch_size=100,
        **_window(send_window),  # type: ignore[arg-type]
    )
    await sandbox.start()
    try:
        assert sandbox.services is not None and sandbox.bot is not None
        for index in range(n):
            sandbox.emulator.world.create_user(user_id=FIRST_USER_ID + index)
        chats = set(await seed_due(sandbox.services.db, n, sandbox.clock.now()))
        first_call = len(sandbox.emulator.calls)
        cpu, started = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        try:
            await sandbox.bot.dispatcher.run_until_idle(max_batches=n // 100 + 10)
        finally:
            if profile is not None:
                profile.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        delivered = sum(
            1
            for call in sandbox.emulator.calls[first_call:]
            if call.method == "sendMessage" and call.ok and int(call.params["chat_id"]) in chats
        )
        return FanOut(n, delivered, seconds, cpu)
    finally:
        await sandbox.stop()


async def fan_out_remote(
    database_url: str,
    n: int,
    *,
    emulator_url: str,
    token: str,
    rate_limit_per_second: float = 1e9,
    rate_limit_per_chat_per_second: float = 0.0,
    send_window: int | None = None,
    profile: cProfile.Profile | None = None,
) -> FanOut:
    """:func:`fan_out` against an emulator in another process (``emulator_url``, whose
    users this creates): the CPU seconds counted are the bot's alone."""
    first = FIRST_USER_ID
    async with SandboxClient(emulator_url) as control:
        known = {int(u["id"]) for u in await control.users()}
        wanted = [first + i for i in range(n) if first + i not in known]
        for start in range(0, len(wanted), 100):
            await asyncio.gather(
                *(control.create_user(user_id=chat) for chat in wanted[start : start + 100])
            )
        settings = Settings(
            database_url=database_url,
            dispatch_interval_seconds=0.0,
            rate_limit_per_second=rate_limit_per_second,
            rate_limit_per_chat_per_second=rate_limit_per_chat_per_second,
            dispatch_batch_size=100,
            **_window(send_window),  # type: ignore[arg-type]
        )
        services = await build_services(settings, SystemClock())
        bot = build_application(
            services,
            token=token,
            base_url=f"{emulator_url}/bot",
            base_file_url=f"{emulator_url}/file/bot",
            dispatch_interval=0.0,
        )
        try:
            await bot.application.initialize()
            chats = set(await seed_due(services.db, n, services.clock.now()))
            first_call = int((await control.status())["calls"])
            cpu, started = time.process_time(), time.perf_counter()
            if profile is not None:
                profile.enable()
            try:
                await bot.dispatcher.run_until_idle(max_batches=n // 100 + 10)
            finally:
                if profile is not None:
                    profile.disable()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            delivered = sum(
                1
                for call in await control.calls(first_call)
                if call["method"] == "sendMessage"
                and call["ok"]
                and int(call["params"]["chat_id"]) in chats
            )
            return FanOut(n, delivered, seconds, cpu)
        finally:
            await bot.application.shutdown()
            await services.db.dispose()


def profile_summary(profile: cProfile.Profile, limit: int = 25) -> str:
    """The top functions by own time, then by cumulative time."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


async def _fan_out_on_fresh(database: str, n: int, emulator_url: str) -> FanOut:
    """:func:`fan_out_remote` on a database made for the run (a SQLite file in a temporary
    folder, or a PostgreSQL database created and dropped)."""
    if database == "postgresql":
        async with databases.fresh_postgres(databases.postgres_admin_url()) as url:
            return await fan_out_remote(url, n, emulator_url=emulator_url, token=TOKEN)
    with tempfile.TemporaryDirectory(prefix="fanout-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/bot.db"
        return await fan_out_remote(url, n, emulator_url=emulator_url, token=TOKEN)


async def _rounds(database: str, n: int, rounds: int) -> None:
    """``rounds`` runs of :func:`fan_out_remote`, each on a fresh database."""
    async with emulator_process() as emulator_url:
        for index in range(rounds):
            found = await _fan_out_on_fresh(database, n, emulator_url)
            print(
                f"{database} round {index + 1}: {found.delivered} of {n} delivered,"
                f" {found.per_second:,.0f}/s, {found.per_cpu_second:,.0f} per CPU-second",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.bench.fanout [N] [--database sqlite|postgresql] [--rounds R]``: the
    fan-out alone, emulator in another process (for before/after runs of two versions)."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench.fanout", description=main.__doc__)
    parser.add_argument("n", type=int, nargs="?", default=3000, help="due reminders per run")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(speed_line(), flush=True)
    asyncio.run(_rounds(args.database, args.n, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
