"""Ten thousand hostile updates into a real ``exercise-bot run`` (issue 9): no unhandled
error, no broken state in the database, nothing to the wrong chat, bounded memory, logs
without tokens, names or texts, and a normal /start still answered.

``FUZZ_UPDATES`` and ``FUZZ_SEED`` make longer or other runs (docs/RELIABILITY.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.emulator import Emulator
from tests.e2e.journeys import label, last_text, onboard, say, tap
from tests.reliability.fuzz import (
    TEXTS,
    Cast,
    HostileUpdates,
    database_problems,
    harvest_callback_data,
    leaks,
)
from tests.reliability.processes import TOKEN, BotProcess, Remote

UPDATES = int(os.environ.get("FUZZ_UPDATES", "10000"))
SEED = int(os.environ.get("FUZZ_SEED", "20261128"))
BATCH = 200
NAMES = [f"Fuzzpatient{i}" for i in range(6)]


@pytest.fixture
async def remote(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Remote]:
    emulator = Emulator(token=TOKEN)
    await emulator.start()
    # Telegram's 30 messages/s would make this a test of the limiter (tested elsewhere)
    bot = BotProcess(emulator, sqlite_url, tmp_path / "bot.log", RATE_LIMIT_PER_SECOND="100000")
    bot.start()
    remote = Remote(emulator, sqlite_url, bot)
    try:
        await bot.wait_started()
        yield remote
    finally:
        bot.stop_now()
        await remote.close()
        await emulator.stop()


async def _cast(remote: Remote) -> Cast:
    patients = [remote.user(name) for name in NAMES]
    strangers = [
        remote.world.create_user(user_id=8_000_000_000 + i, first_name="Stranger") for i in range(3)
    ]
    for index, patient in enumerate(patients):
        await onboard(remote, patient)  # type: ignore[arg-type]
        if index % 2 == 0:
            await tap(remote, patient, "btn_start_now")  # type: ignore[arg-type]
            await tap(remote, patient, "btn_begin")  # type: ignore[arg-type]
        if index == 4:
            await tap(remote, patient, "btn_hurts")  # type: ignore[arg-type]
    groups = [
        remote.world.create_group("Family", patients[:3]),
        remote.world.create_group("Club", [*patients[3:], *strangers], kind="supergroup"),
    ]
    cast = Cast(patients, strangers, groups, remote.world.create_channel("News"))
    harvest_callback_data(cast)
    return cast


@pytest.mark.timeout(900)
async def test_hostile_updates_break_nothing(remote: Remote) -> None:
    cast = await _cast(remote)
    hostile = HostileUpdates(remote, cast, SEED)  # type: ignore[arg-type]
    rss_before = remote.bot_process.rss_kb()
    cpu_before, own_before = remote.bot_process.cpu_seconds(), time.process_time()
    started = time.monotonic()
    for done in range(0, UPDATES, BATCH):
        for _ in range(min(BATCH, UPDATES - done)):
            hostile.next()
        await remote.settle(timeout=120)
        harvest_callback_data(cast)
    elapsed = time.monotonic() - started
    rss_after = remote.bot_process.rss_kb()
    bot_cpu = remote.bot_process.cpu_seconds() - cpu_before
    own_cpu = time.process_time() - own_before

    bot = remote.bot_process
    assert [
        (r.get("event"), r.get("error"), r.get("traceback", "")[-600:]) for r in bot.errors()
    ] == []
    assert await database_problems(remote) == []  # type: ignore[arg-type]
    assert await leaks(remote, cast, label(remote, "private_only")) == []  # type: ignore[arg-type]
    # whatever came before, a new patient is served as usual
    newcomer = remote.user("Newcomer")
    await say(remote, newcomer, "/start")  # type: ignore[arg-type]
    assert last_text(newcomer).startswith("Hello")
    # bounded memory: what the bot process kept after all of it
    assert rss_after - rss_before < 60 * 1024, (rss_before, rss_after)
    # the logs hold no token, no name and no message text
    logs = bot.text()
    assert TOKEN.split(":")[1] not in logs
    for secret in [*NAMES, "Stranger", *(t for t in TEXTS if len(t) > 5)]:
        assert secret not in logs, secret
    events = [r.get("event") for r in bot.records()]
    print(
        f"\nfuzz: {UPDATES} hostile updates (seed {SEED}) in {elapsed:.1f} s, "
        f"{UPDATES / elapsed:.0f}/s; CPU s: bot {bot_cpu:.1f}, emulator+test {own_cpu:.1f}; "
        f"bot RSS {rss_before // 1024} -> {rss_after // 1024} MB; "
        f"unparseable {events.count('update.unparseable')}; "
        f"dropped {events.count('update.dropped_backlog')}; "
        f"kinds {dict(sorted(hostile.kinds.items()))}"
    )
