"""`python -m bot.bench crowd [--quick]`: a crowd due at one minute, at Telegram's 30/s.

Not a timing test: it prints what happens when more reminders are due than can be sent
within the grace period - how many go out on time, late, or are missed - on three
simulated days, and whether the missed ones are the same patients every day (they should
not be: the claim order changes daily). The bot runs in this process against the local
Telegram with the real rate limiter; each simulated day is "now" shifted by whole days so
the date changes while the seconds are real.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from bot.bench.seed import FIRST_USER_ID, seed_due
from bot.core.timers import Kind, reminder_key
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox
from bot.sandbox.ratelimit import RateLimits
from bot.store.database import Database
from bot.store.models import Patient, Timer


class ShiftedClock:
    """Real time, moved by whole days: the seconds pass for real, the date is chosen."""

    def __init__(self, days: int) -> None:
        self.shift = timedelta(days=days)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


@dataclass(frozen=True)
class Day:
    on_time: set[int]
    late: set[int]
    missed: set[int]
    seconds: float


async def one_day(directory: Path, day: int, patients: int, grace_minutes: int) -> Day:
    sandbox = Sandbox(
        database_url=f"sqlite+aiosqlite:///{directory / 'crowd.db'}",
        clock=ShiftedClock(day),  # type: ignore[arg-type]
        rate_limit_per_second=30.0,
        rate_limit_per_chat_per_second=0.0,
        reminder_grace_minutes=grace_minutes,
        dispatch_batch_size=100,
    )
    await sandbox.start()
    try:
        assert sandbox.services is not None and sandbox.bot is not None
        db = sandbox.services.db
        for index in range(patients):
            sandbox.emulator.world.create_user(user_id=FIRST_USER_ID + index)
        if day == 0:
            chats = await seed_due(db, patients, sandbox.clock.now())
        else:  # the same patients on a new day: yesterday's rows (and plans) go
            async with db.unit_of_work() as uow:
                await uow.session.execute(delete(Timer))
                await uow.commit()
            chats = await _due_again(sandbox, patients)
        started = asyncio.get_running_loop().time()
        await sandbox.bot.dispatcher.run_until_idle(max_batches=patients // 100 + 10)
        seconds = asyncio.get_running_loop().time() - started
        async with db.unit_of_work(read_only=True) as uow:
            rows = (
                await uow.session.execute(
                    select(Timer.patient_id, Timer.state, Timer.late).where(
                        Timer.kind == "reminder", Timer.state != "pending"
                    )
                )
            ).all()
        finished = [(pid, state, late) for pid, state, late in rows if pid is not None]
        on_time = {pid for pid, state, late in finished if state == "sent" and not late}
        late = {pid for pid, state, late in finished if state == "sent" and late}
        missed = {pid for pid, state, _ in finished if state == "missed"}
        assert len(chats) == patients
        return Day(on_time, late, missed, seconds)
    finally:
        await sandbox.stop()


async def _due_again(sandbox: Sandbox, patients: int) -> list[int]:
    """The same patients, each with one reminder due now (a new day)."""
    assert sandbox.services is not None
    now = sandbox.clock.now()
    async with sandbox.services.db.unit_of_work() as uow:
        ids = list(await uow.session.scalars(select(Patient.id).order_by(Patient.id)))
        await uow.session.execute(
            insert(Timer),
            [
                {
                    "patient_id": pid,
                    "kind": Kind.REMINDER,
                    "due_at": now,
                    "idempotency_key": reminder_key(pid, now),
                    "payload": {},
                }
                for pid in ids
            ],
        )
        await uow.commit()
    return ids[:patients]


async def run(*, quick: bool) -> None:
    patients, grace = (240, 1) if quick else (2_400, 1)
    print(f"# a crowd due at one minute ({'quick' if quick else 'full'})")
    print(
        f"{patients:,} patients due at the same minute, sent at 30/s, grace {grace} min "
        "(on time: < 60 s late; late: < grace; missed: the rest)"
    )
    days: list[Day] = []
    with tempfile.TemporaryDirectory(prefix="crowd-") as tmp:
        for day in range(3):
            days.append(await one_day(Path(tmp), day, patients, grace))
    print(f"{'day':>4}{'on time':>9}{'late':>7}{'missed':>8}{'seconds':>9}")
    for index, result in enumerate(days, 1):
        print(
            f"{index:>4}{len(result.on_time):>9}{len(result.late):>7}"
            f"{len(result.missed):>8}{result.seconds:>9.1f}"
        )
    missed = Counter(pid for result in days for pid in result.missed)
    ever = len(missed)
    every_day = sum(1 for n in missed.values() if n == 3)
    print(
        f"missed at least once: {ever}; missed on all three days: {every_day}"
        f" (ordered by id it would be {len(days[0].missed)}: the same patients every day)"
    )


# --- several processes, one per-bot limit ----------------------------------------------------

TOKEN = "616161:CROWD-BENCH"


def _exercise_bot() -> list[str]:
    script = Path(sys.executable).with_name("exercise-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def processes_section(postgres_admin_url: str, counts: tuple[int, ...], due: int) -> None:
    """``due`` reminders at one minute, sent by 1, 2, 3 worker processes on PostgreSQL,
    against a local Telegram that enforces 30 messages/s per bot and answers 429 above it."""
    print(f"\n## several processes (PostgreSQL, {due} due at once, Telegram's 30/s enforced)")
    print(f"{'processes':>10}{'delivered':>11}{'seconds':>9}{'msgs/s':>8}{'429s':>6}{'dupes':>7}")
    for count in counts:
        name, url = await _create_database(postgres_admin_url)
        try:
            db = Database(url)
            await db.upgrade()
            chats = await seed_due(db, due, datetime.now(UTC))
            await db.dispose()
            row = await _deliver_with(url, count, chats)
        finally:
            await _drop_database(postgres_admin_url, name)
        delivered, seconds, refused, dupes = row
        print(
            f"{count:>10}{delivered:>11}{seconds:>9.1f}{delivered / seconds:>8.1f}"
            f"{refused:>6}{dupes:>7}"
        )


async def _deliver_with(url: str, count: int, chats: list[int]) -> tuple[int, float, int, int]:
    limits = RateLimits(per_chat_per_second=1.0, per_chat_burst=3, global_per_second=30.0)
    emulator = Emulator(token=TOKEN, rate_limits=limits)
    await emulator.start()
    procs: list[asyncio.subprocess.Process] = []
    try:
        for chat in chats:
            emulator.world.create_user(user_id=chat)
        env = {
            **os.environ,
            "NO_PROXY": "127.0.0.1,localhost",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": url,
            "ALLOW_EXAMPLE_CONTENT": "true",
            "DISPATCH_INTERVAL_SECONDS": "0.5",
            "LOG_LEVEL": "ERROR",
        }
        started = asyncio.get_running_loop().time()
        for _ in range(count):
            procs.append(
                await asyncio.create_subprocess_exec(
                    *_exercise_bot(),
                    "run",
                    "--worker",
                    env={**env, "OPS_PORT": str(_free_port())},
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
        wanted = set(chats)
        seconds = 0.0
        for _ in range(6000):
            got = {m.chat_id for m in emulator.world.sent}
            seconds = asyncio.get_running_loop().time() - started
            if wanted <= got:
                break
            await asyncio.sleep(0.1)
        sends = [c for c in emulator.calls if c.method == "sendMessage"]
        refused = sum(1 for c in sends if c.status == 429)
        received = Counter(m.chat_id for m in emulator.world.sent)
        dupes = sum(n - 1 for n in received.values())
        return len(set(received) & wanted), seconds, refused, dupes
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 15)
        await emulator.stop()


async def _create_database(admin_url: str) -> tuple[str, str]:
    import asyncpg  # only with PostgreSQL

    name = f"crowd_{os.getpid()}_{int(asyncio.get_running_loop().time() * 1000)}"
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, f"{admin_url.rsplit('/', 1)[0]}/{name}"


async def _drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exercise-bot bench crowd")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL"),
        help="an admin URL (postgresql+asyncpg://...) for the several-processes section",
    )
    parser.add_argument("--skip-fairness", action="store_true")
    args = parser.parse_args(argv)

    async def everything() -> None:
        if not args.skip_fairness:
            await run(quick=args.quick)
        if args.postgres:
            counts, due = ((1, 2), 120) if args.quick else ((1, 2, 3), 900)
            await processes_section(args.postgres, counts, due)
        else:
            print("\n(several processes: skipped, give --postgres or TEST_POSTGRES_URL)")

    asyncio.run(everything())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
