"""Crash safety of the reminder engine with real processes on PostgreSQL.

One emulator process, three `exercise-bot run --worker` processes (reminders only: at
most one poller may hold the updates) sharing a PostgreSQL database, 1,000 reminders due
at the same minute. One bot is killed with SIGKILL at random moments
and restarted, five times. Every patient must get the reminder; a kill may cost at most
DISPATCH_SEND_WINDOW duplicates (the sends in flight or sent and not yet recorded:
at-least-once delivery).

Run alone: TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \
    .venv/bin/pytest tests/integration/test_crash_safety.py -s
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.bench.seed import FIRST_USER_ID, seed_due
from bot.store.database import Database
from bot.store.models import Timer

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

LEASE_SECONDS = 5  # a batch of 20 at 30 ms a send takes well under a second
WINDOW = 8  # DISPATCH_SEND_WINDOW: at most this many duplicates per kill
PATIENTS = 1_000
BOTS = 3
KILLS = 5
TOKEN = "424242:CRASH-SAFETY"
SEND_DELAY = 0.03  # per sendMessage in the emulator, so kills land while work is left
DEADLINE = 75.0  # seconds for everything to be delivered after the bots start


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exercise_bot() -> list[str]:
    script = Path(sys.executable).with_name("exercise-bot")
    if script.exists():
        return [str(script)]
    found = shutil.which("exercise-bot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def _start_emulator(port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [*_exercise_bot(), "emulator", "--port", str(port), "--token", TOKEN],
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


class Bots:
    """Three bot processes; a killed one is replaced by a fresh one in the same slot."""

    def __init__(self, database_url: str, api_port: int, logs: Path) -> None:
        self.env = {
            **os.environ,
            "NO_PROXY": "127.0.0.1,localhost",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
            "DATABASE_URL": database_url,
            "DISPATCH_INTERVAL_SECONDS": "0.2",
            "DISPATCH_BATCH_SIZE": "20",
            "DISPATCH_SEND_WINDOW": str(WINDOW),
            # a killed bot's claims are taken over once its lease runs out
            "DISPATCH_LEASE_SECONDS": str(LEASE_SECONDS),
            # one process dispatches at a time; a killed one is replaced after this
            "DISPATCH_TURN_SECONDS": "2",
            "RATE_LIMIT_PER_SECOND": "1000000",
            "RATE_LIMIT_PER_CHAT_PER_SECOND": "0",
            "LOG_LEVEL": "WARNING",
            "ALLOW_EXAMPLE_CONTENT": "true",
        }
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self, slot: int | None = None) -> subprocess.Popen[bytes]:
        env = {**self.env, "OPS_PORT": str(_free_port())}
        self.started += 1
        log = (self.logs / f"bot-{self.started}.log").open("wb")
        proc = subprocess.Popen(
            [*_exercise_bot(), "run", "--worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        if slot is None:
            self.procs.append(proc)
        else:
            self.procs[slot] = proc
        return proc

    def kill(self, slot: int) -> str:
        """SIGKILL the bot in ``slot``; returns its dispatcher worker id (host:pid)."""
        proc = self.procs[slot]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        return f"{socket.gethostname()}:{proc.pid}"

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def _control(session: aiohttp.ClientSession, verb: str, url: str, **kw: Any) -> Any:
    async with session.request(verb, url, **kw) as resp:
        assert resp.status < 400, await resp.text()
        return await resp.json(content_type=None)


async def _wait_for_emulator(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(200):
        try:
            await _control(session, "GET", f"{base}/status")
            return
        except (aiohttp.ClientError, OSError):
            await asyncio.sleep(0.05)
    raise AssertionError("the emulator process did not start")


async def _sent_today(db: Database, due: datetime) -> int:
    async with db.unit_of_work(read_only=True) as uow:
        stmt = select(func.count()).where(
            Timer.kind == "reminder", Timer.due_at == due, Timer.state == "sent"
        )
        return int(await uow.session.scalar(stmt) or 0)


async def test_kills_lose_nothing_and_duplicate_at_most_the_window_per_kill(
    postgres_url: str, tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time_ns() % 10**6)))
    port = _free_port()
    base = f"http://127.0.0.1:{port}/_sandbox"
    emulator = _start_emulator(port, tmp_path / "emulator.log")
    bots = Bots(postgres_url, port, tmp_path)
    db = Database(postgres_url)
    received: Counter[int] = Counter()
    kills = 0
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_for_emulator(session, base)
            chats = [FIRST_USER_ID + i for i in range(PATIENTS)]
            for start in range(0, PATIENTS, 100):  # the patients exist in the emulator
                await asyncio.gather(
                    *(
                        _control(session, "POST", f"{base}/users", json={"user_id": chat})
                        for chat in chats[start : start + 100]
                    )
                )
            await db.upgrade()  # before the bots, so three processes do not race to migrate
            due = datetime.now(UTC).replace(microsecond=0)
            seeded = await seed_due(db, PATIENTS, due)
            assert sorted(seeded) == chats
            await _control(
                session,
                "POST",
                f"{base}/faults",
                json={
                    "kind": "delay",
                    "n": 10 * PATIENTS,
                    "seconds": SEND_DELAY,
                    "method": "sendMessage",
                },
            )

            started = time.monotonic()
            for _ in range(BOTS):
                bots.start()
            seen = 0

            async def collect() -> None:
                nonlocal seen
                calls = await _control(session, "GET", f"{base}/calls", params={"since": seen})
                seen += len(calls)
                for call in calls:
                    if call["method"] == "sendMessage" and call["ok"]:
                        received[int(call["params"]["chat_id"])] += 1

            while not received and time.monotonic() - started < DEADLINE:
                await collect()  # the first kill comes once the bots are delivering
                await asyncio.sleep(0.2)
            while kills < KILLS:
                await asyncio.sleep(rng.uniform(1.0, 3.0))
                slot = rng.randrange(BOTS)
                worker = bots.kill(slot)
                kills += 1
                bots.start(slot)
                await collect()
                print(f"kill {kills}: bot {slot} ({worker}), {len(received)} delivered so far")

            while time.monotonic() - started < DEADLINE:
                await collect()
                if len(received) >= PATIENTS and await _sent_today(db, due) == PATIENTS:
                    break
                await asyncio.sleep(0.5)
            await collect()
            elapsed = time.monotonic() - started
    finally:
        bots.stop_all()
        emulator.terminate()
        emulator.wait(10)
        await db.dispose()

    delivered = sum(1 for chat in chats if received[chat] >= 1)
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    print(
        f"\ncrash safety: {PATIENTS} patients, {BOTS} bots, {kills} kills, "
        f"delivered {delivered}, duplicates {duplicates}, {elapsed:.1f} s"
    )
    assert set(received) <= set(chats)
    assert delivered == PATIENTS, f"{PATIENTS - delivered} patients never got the reminder"
    assert duplicates <= kills * WINDOW
