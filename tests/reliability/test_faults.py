"""Faults a real ``exercise-bot run`` meets (issue 9): SIGTERM and SIGKILL in the middle
of a tap and of a reminder run, a database that stops for 30 s and then hangs for 20 s,
a slow Telegram. Each: nothing lost, duplicates within the documented bound
(docs/RELIABILITY.md), and the patient sees the right screen afterwards.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.bench.seed import seed_due
from bot.sandbox.emulator import Emulator
from bot.store.database import Database
from bot.store.models import ExerciseSession, Timer
from tests.e2e.journeys import label, last_text, open_session, tap
from tests.reliability.processes import TOKEN, BotProcess, Remote
from tests.reliability.tcpproxy import TcpProxy

pytestmark = pytest.mark.timeout(240)


class Stage:
    """An emulator here, a bot process there, and the people between them."""

    def __init__(self, tmp: Path, database_url: str, **env: str) -> None:
        self.tmp = tmp
        self.database_url = database_url
        self.env = env
        self.emulator = Emulator(token=TOKEN)
        self.bot: BotProcess | None = None
        self.remote: Remote | None = None

    async def __aenter__(self) -> Stage:
        await self.emulator.start()
        self.bot = BotProcess(self.emulator, self.database_url, self.tmp / "bot.log", **self.env)
        self.remote = Remote(self.emulator, self.database_url, self.bot)
        return self

    async def start_bot(self) -> None:
        assert self.bot is not None
        self.bot.start()
        await self.bot.wait_started()

    async def __aexit__(self, *exc: object) -> None:
        if self.bot is not None:
            self.bot.stop_now()
        if self.remote is not None:
            await self.remote.close()
        await self.emulator.stop()


@pytest.fixture
async def stage(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Stage]:
    async with Stage(tmp_path, sqlite_url) as running:
        await running.start_bot()
        yield running


async def _session_revs(remote: Remote) -> list[int]:
    async with remote.services.db.unit_of_work(read_only=True) as uow:
        return list(await uow.session.scalars(select(ExerciseSession.rev)))


def _step(text: str) -> str:
    return text.split("\n")[1]  # "Exercise 1 of 3 · step 2 of 3"


async def _until(condition, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (state of another process)
            await asyncio.sleep(0.02)


# --- stop signals in the middle of a tap ---------------------------------------------------


async def test_sigterm_mid_tap_finishes_it_and_stops_within_10_seconds(stage: Stage) -> None:
    remote = stage.remote
    assert remote is not None and stage.bot is not None
    user = remote.user()
    await open_session(remote, user)  # type: ignore[arg-type]
    before = _step(last_text(user))
    stage.emulator.faults.delay_next(1, 2.0, "editMessageMedia")  # step to step
    user.tap(label(remote, "btn_next"))  # type: ignore[arg-type]
    await _until(lambda: stage.emulator.faults.pending == 0)  # the edit is being held
    stopped = time.monotonic()
    stage.bot.signal(signal.SIGTERM)
    assert await stage.bot.wait_exit(15) == 0
    took = time.monotonic() - stopped
    assert took < 10, f"stopping took {took:.1f} s"
    after = _step(last_text(user))
    assert after != before  # the tap in flight was finished, not dropped
    print(f"\nSIGTERM mid-tap: stopped in {took:.2f} s")
    # and the next process carries on from there
    await stage.start_bot()
    await tap(remote, user, "btn_next")  # type: ignore[arg-type]
    assert _step(last_text(user)) not in (before, after)
    assert await _session_revs(remote) == [3]  # begin, next, next: each counted once


async def test_sigkill_mid_tap_redelivers_it_and_the_screen_recovers(stage: Stage) -> None:
    remote = stage.remote
    assert remote is not None and stage.bot is not None
    user = remote.user()
    await open_session(remote, user)  # type: ignore[arg-type]
    before = _step(last_text(user))
    stage.emulator.faults.delay_next(1, 30.0, "editMessageMedia")  # the edit never lands
    user.tap(label(remote, "btn_next"))  # type: ignore[arg-type]
    await _until(lambda: stage.emulator.faults.pending == 0)  # the edit is being held
    stage.bot.signal(signal.SIGKILL)
    await stage.bot.wait_exit()
    assert _step(last_text(user)) == before  # the patient still sees the old step
    await stage.start_bot()
    await remote.settle()  # the unconfirmed tap comes again and finds the session moved on
    assert _step(last_text(user)) != before
    assert await _session_revs(remote) == [2]  # the tap counted once, not twice
    await tap(remote, user, "btn_next")  # type: ignore[arg-type]
    assert await _session_revs(remote) == [3]


# --- a stop signal in the middle of a reminder run ----------------------------------------


@pytest.mark.parametrize(
    ("sig", "window"),
    [(signal.SIGTERM, 8), (signal.SIGKILL, 1), (signal.SIGKILL, 8)],
    ids=["SIGTERM", "SIGKILL-window-1", "SIGKILL-window-8"],
)
async def test_a_stop_mid_dispatch_loses_no_reminder(
    tmp_path: Path, sqlite_url: str, sig: signal.Signals, window: int
) -> None:
    """A stop loses nothing; a kill duplicates at most DISPATCH_SEND_WINDOW reminders (the
    sends in flight or sent and not yet recorded), a clean stop none."""
    patients = 120
    db = Database(sqlite_url)
    await db.upgrade()
    chats = await seed_due(db, patients, datetime.now(UTC))
    env = {
        "DISPATCH_INTERVAL_SECONDS": "0.2",
        "DISPATCH_LEASE_SECONDS": "3",
        "DISPATCH_SEND_WINDOW": str(window),
    }
    async with Stage(tmp_path, sqlite_url, **env) as stage:
        for chat in chats:
            stage.emulator.world.create_user(user_id=chat)
        stage.emulator.faults.delay_next(10_000, 0.02, "sendMessage")
        assert stage.bot is not None
        await stage.start_bot()
        await _until(lambda: len(stage.emulator.world.sent) >= patients // 3)
        stage.bot.signal(sig)
        await stage.bot.wait_exit(15)
        await stage.start_bot()
        await _until(lambda: len({m.chat_id for m in stage.emulator.world.sent}) == patients, 60)
        await asyncio.sleep(1.0)  # anything still to come (a duplicate) would come now
        received = Counter(m.chat_id for m in stage.emulator.world.sent)
        duplicates = sum(n - 1 for n in received.values())
        bound = 0 if sig is signal.SIGTERM else window  # docs/RELIABILITY.md
        assert set(received) == set(chats)
        assert duplicates <= bound, received.most_common(3)
        async with db.unit_of_work(read_only=True) as uow:
            states = dict(
                (
                    await uow.session.execute(
                        select(Timer.state, func.count())
                        .where(Timer.kind == "reminder")
                        .group_by(Timer.state)
                    )
                ).all()
            )
        assert states.get("sent") == patients and states.get("pending") == patients  # tomorrow's
        print(
            f"\n{sig.name} mid-dispatch, window {window}: {patients} delivered, "
            f"{duplicates} duplicate(s)"
        )
    await db.dispose()


# --- the database stops, then hangs --------------------------------------------------------


@pytest.mark.postgres
async def test_the_database_stops_for_30_s_then_hangs_for_20_s(
    tmp_path: Path, postgres_url: str
) -> None:
    host_port, _, _name = postgres_url.rpartition("@")[2].partition("/")
    host, _, port = host_port.partition(":")
    proxy = TcpProxy(host, int(port or 5432))
    await proxy.start()
    through_proxy = postgres_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    try:
        async with Stage(tmp_path, through_proxy) as stage:
            await stage.start_bot()
            remote, bot = stage.remote, stage.bot
            assert remote is not None and bot is not None
            patient, newcomer = remote.user("Pat"), remote.user("New")
            await open_session(remote, patient)  # type: ignore[arg-type]
            step_1 = _step(last_text(patient))

            await proxy.down()
            patient.tap(label(remote, "btn_next"))  # type: ignore[arg-type]
            newcomer.send_text("/start")
            await asyncio.sleep(3)
            assert await _ready(bot) is False
            await asyncio.sleep(27)
            await proxy.up()
            back = time.monotonic()
            await remote.settle(timeout=60)  # handled once the database was back
            recovered = time.monotonic() - back
            step_2 = _step(last_text(patient))
            assert step_2 != step_1
            assert last_text(newcomer).startswith("Hello")

            proxy.freeze()
            patient.tap(label(remote, "btn_next"))  # type: ignore[arg-type]
            await asyncio.sleep(20)
            proxy.thaw()
            thawed = time.monotonic()
            await remote.settle(timeout=60)
            unfrozen = time.monotonic() - thawed
            assert _step(last_text(patient)) not in (step_1, step_2)
            assert await _session_revs(remote) == [3]
            assert await _ready(bot) is True
            assert [r["event"] for r in bot.errors()] == []
            apologies = [
                m for m in patient.bot_messages if m.text == label(remote, "error_generic")
            ]
            assert apologies == []  # the taps were kept and done, not refused
            print(
                f"\ndatabase down 30 s: handled {recovered:.1f} s after it came back; "
                f"frozen 20 s: handled {unfrozen:.1f} s after it thawed"
            )
    finally:
        await proxy.close()


async def _ready(bot: BotProcess) -> bool:
    url = f"http://127.0.0.1:{bot.ops_port}/readyz"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status == 200


# --- a slow Telegram -------------------------------------------------------------------------


async def test_a_send_slower_than_the_timeout_is_not_sent_twice(
    tmp_path: Path, sqlite_url: str
) -> None:
    db = Database(sqlite_url)
    await db.upgrade()
    chats = await seed_due(db, 8, datetime.now(UTC))
    env = {"DISPATCH_INTERVAL_SECONDS": "0.2", "TELEGRAM_READ_TIMEOUT_SECONDS": "0.5"}
    async with Stage(tmp_path, sqlite_url, **env) as stage:
        for chat in chats:
            stage.emulator.world.create_user(user_id=chat)
        # delivered at once, answered after the bot gave up waiting
        stage.emulator.faults.delay_next(8, 1.5, "sendMessage", apply_first=True)
        await stage.start_bot()
        await _until(lambda: len(stage.emulator.world.sent) >= 8, 30)
        await asyncio.sleep(3)  # a retry would have come by now
        received = Counter(m.chat_id for m in stage.emulator.world.sent)
        assert set(received) == set(chats) and max(received.values()) == 1, received
    await db.dispose()
