"""What an operator relies on with real `exercise-bot run` processes (issue 12): one poller
per database, /readyz that means something, /metrics that answers while the database
does not.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.bench.seed import seed_due
from bot.sandbox.emulator import Emulator
from bot.store.database import Database
from tests.e2e.journeys import last_text, onboard
from tests.reliability.processes import TOKEN, BotProcess, Remote
from tests.reliability.tcpproxy import TcpProxy

pytestmark = pytest.mark.timeout(240)


async def _get(bot: BotProcess, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{bot.ops_port}{path}"
    timeout = aiohttp.ClientTimeout(total=30)  # a hang detector, not a speed limit
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url) as resp:
        return resp.status, await resp.text()


async def _readyz(bot: BotProcess) -> tuple[int, dict[str, Any]]:
    status, body = await _get(bot, "/readyz")
    return status, json.loads(body)


async def _until_ready(
    bot: BotProcess,
    want: Callable[[int, dict[str, Any]], bool],
    timeout: float = 60,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Until /readyz says what ``want`` looks for (the state of another process: polled)."""
    await bot.wait_started(timeout)
    async with asyncio.timeout(timeout):
        while True:
            status, body = await _readyz(bot)
            if want(status, body):
                return body
            await asyncio.sleep(0.2)


def _said(bot: BotProcess) -> list[str]:
    """What the process said to the operator: its output lines that are not JSON logs."""
    return [r["event"] for r in bot.records() if r.get("level") == "raw"]


async def _answered_start(remote: Remote, name: str) -> None:
    user = remote.user(name)
    await onboard(remote, user)  # type: ignore[arg-type]
    assert last_text(user)  # an answer came


# --- one poller ------------------------------------------------------------------------------


async def test_a_second_poller_says_so_in_one_line_and_exits_2(
    tmp_path: Path, database_url: str
) -> None:
    async with Emulator(token=TOKEN) as emulator:
        first, second = (
            BotProcess(emulator, database_url, tmp_path / f"{name}.log")
            for name in ("first", "second")
        )
        # The fourth must look at the lock while the killed third's lease still runs, so
        # theirs outlasts a start-up on a busy machine (3 s did not, with 4 test workers
        # on 2 slow cores); the fourth then waits up to this long.
        third, fourth = (
            BotProcess(emulator, database_url, tmp_path / f"{name}.log", POLLER_LOCK_SECONDS="10")
            for name in ("third", "fourth")
        )
        remote = Remote(emulator, database_url, first)
        try:
            first.start()
            await first.wait_started()
            second.start()
            assert await second.wait_exit(60) == 2
            [line] = _said(second)
            assert line.startswith("another exercise-bot is polling this bot's updates")
            assert "run --worker" in line and "Traceback" not in second.text()
            assert [r for r in second.errors() if r["level"] != "raw"] == []
            await _answered_start(remote, "Ada")  # the first one polls on, undisturbed

            # A clean stop releases the lock: the next poller starts at once.
            first.signal(signal.SIGTERM)
            assert await first.wait_exit() == 0
            third.start()
            await _until_ready(third, lambda status, _: status == 200)
            await _answered_start(remote, "Bo")

            # A killed poller's lock expires: its replacement waits it out, then polls.
            third.signal(signal.SIGKILL)
            assert await third.wait_exit() == -signal.SIGKILL
            fourth.start()
            await _until_ready(fourth, lambda status, _: status == 200)
            await _answered_start(remote, "Cy")
            assert fourth.proc is not None and fourth.proc.poll() is None
            waited = [r for r in fourth.records() if r.get("event") == "lock.waiting"]
            assert len(waited) == 1  # it saw the dead holder's lease and waited it out
            fourth.signal(signal.SIGTERM)
            assert await fourth.wait_exit() == 0
        finally:
            for bot in (first, second, third, fourth):
                bot.stop_now()
            await remote.close()


async def test_a_worker_sends_reminders_takes_no_updates_and_no_poller_lock(
    tmp_path: Path, sqlite_url: str
) -> None:
    db = Database(sqlite_url)
    await db.upgrade()
    chats = await seed_due(db, 3, datetime.now(UTC))
    await db.dispose()
    async with Emulator(token=TOKEN) as emulator:
        for chat in chats:
            emulator.world.create_user(user_id=chat)
        worker = BotProcess(emulator, sqlite_url, tmp_path / "worker.log")
        poller = BotProcess(emulator, sqlite_url, tmp_path / "poller.log")
        try:
            worker.start("--worker")
            body = await _until_ready(worker, lambda status, _: status == 200)
            assert body["checks"]["updates"]["detail"].startswith("worker:")
            async with asyncio.timeout(30):
                while len({m.chat_id for m in emulator.world.sent}) < len(chats):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            assert [c for c in emulator.calls if c.method.lower() == "getupdates"] == []
            poller.start()  # the worker holds no poller lock
            await _until_ready(poller, lambda status, _: status == 200)
            assert worker.proc is not None and worker.proc.poll() is None
        finally:
            worker.stop_now()
            poller.stop_now()


# --- /readyz ---------------------------------------------------------------------------------


async def test_readyz_names_each_check_and_sees_a_conflict_and_a_rejected_token(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with Emulator(token=TOKEN) as emulator:
        bot = BotProcess(emulator, sqlite_url, tmp_path / "bot.log")
        try:
            bot.start()
            body = await _until_ready(bot, lambda status, _: status == 200)
            assert body["ready"] is True
            assert set(body["checks"]) == {"database", "content", "dispatcher", "updates"}
            assert all(check["ok"] for check in body["checks"].values())
            assert "example content" in body["checks"]["content"]["detail"]

            # Someone set a webhook for this token: every getUpdates is a 409 now.
            await emulator.call("setWebhook", {"url": "https://elsewhere.example/webhook"})
            body = await _until_ready(bot, lambda status, _: status == 503)
            assert body["checks"]["updates"]["ok"] is False
            assert body["checks"]["updates"]["detail"].startswith("409 Conflict")
            assert body["checks"]["database"]["ok"] is True
            await emulator.call("deleteWebhook", {})
            await _until_ready(bot, lambda status, _: status == 200)

            # The token is revoked: 401 on every poll (twice in a row: not ready).
            emulator.faults.fail_next(2, status=401, method="getUpdates")
            body = await _until_ready(bot, lambda status, _: status == 503)
            assert body["checks"]["updates"]["detail"].startswith("401/404")
            await _until_ready(bot, lambda status, _: status == 200)  # and back
        finally:
            bot.stop_now()


@pytest.mark.postgres
async def test_metrics_and_readyz_answer_while_the_database_hangs_or_is_down(
    tmp_path: Path, postgres_url: str
) -> None:
    host_port = postgres_url.rpartition("@")[2].partition("/")[0]
    host, _, port = host_port.partition(":")
    proxy = TcpProxy(host, int(port or 5432))
    await proxy.start()
    through_proxy = postgres_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    try:
        async with Emulator(token=TOKEN) as emulator:
            bot = BotProcess(emulator, through_proxy, tmp_path / "bot.log")
            try:
                bot.start()
                await _until_ready(bot, lambda status, _: status == 200)
                values = await _metric_values(bot)
                assert values["exercise_bot_database_up"] == 1
                assert values["exercise_bot_dispatch_lag_seconds"] == 0
                assert "exercise_bot_timers_total" in values

                proxy.freeze()  # the database hangs: the scrape gives up on it
                await _while_the_database_is_away(bot)
                proxy.thaw()
                await _until_ready(bot, lambda status, _: status == 200)
                await proxy.down()  # the database is gone: connections are refused
                await _while_the_database_is_away(bot)
                await proxy.up()
                await _until_ready(bot, lambda status, _: status == 200)
                assert await _metric_values(bot) and bot.proc is not None
                assert bot.proc.poll() is None
            finally:
                bot.stop_now()
    finally:
        await proxy.close()


async def _while_the_database_is_away(bot: BotProcess) -> None:
    values = await _metric_values(bot)  # it answers, without the database's gauges
    assert values["exercise_bot_database_up"] == 0
    assert "exercise_bot_dispatch_lag_seconds" not in values
    assert "exercise_bot_updates_total" in values
    status, body = await _readyz(bot)
    assert status == 503 and body["checks"]["database"]["ok"] is False
    assert body["checks"]["content"]["ok"] is True


async def _metric_values(bot: BotProcess) -> dict[str, float]:
    """name -> value of the unlabelled samples, plus each family name (labelled ones: 1)."""
    status, text = await _get(bot, "/metrics")
    assert status == 200
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.labels:
                values[sample.name] = sample.value
            else:
                values.setdefault(sample.name, 1.0)
    return values
