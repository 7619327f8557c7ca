"""Due reminders through the full path: claim, render, send (to the emulator), record.

The real PTB bot and the emulator share this process (``Sandbox``), so the figure is what
one core does for both sides; the database server, when PostgreSQL, is another process.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from dataclasses import dataclass

from bot.bench.seed import FIRST_USER_ID, seed_due
from bot.sandbox.harness import Sandbox


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
) -> FanOut:
    """Seed n due reminders (patients known to the emulator), time one dispatcher drain."""
    sandbox = Sandbox(
        database_url=database_url,
        rate_limit_per_second=rate_limit_per_second,
        rate_limit_per_chat_per_second=rate_limit_per_chat_per_second,
        dispatch_batch_size=100,
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


def profile_summary(profile: cProfile.Profile, limit: int = 25) -> str:
    """The top functions by own time, then by cumulative time."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue()
