"""The poller's calls: an update is confirmed by the next long poll, asked for once it was
handled, not by an extra call right after fetching it (bot/telegram/polling.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.telegram import polling
from bot.telegram.polling import Poller


def _update(update_id: int, chat: int = 5) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "A"},
            "text": "hi",
        },
    }


class FakeBot:
    """``getUpdates`` as Telegram answers it: every unconfirmed update from the offset on,
    at once if there is one, else after the long poll (here: until one is pushed)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.defaults = None

    def push(self, *updates: dict[str, Any]) -> None:
        self.pending.extend(updates)
        self.arrived.set()

    async def _post(self, endpoint: str, data: dict[str, Any], **_: object) -> Any:
        assert endpoint == "getUpdates"
        self.calls.append(dict(data))
        offset = data.get("offset", 0)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if not self.pending and data["timeout"]:
            self.arrived.clear()
            await self.arrived.wait()
        return list(self.pending)


class FakeRunner:
    def __init__(self) -> None:
        self.running: dict[int, asyncio.Future[bool]] = {}

    def submit(self, update: Any) -> asyncio.Future[bool]:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.running[update.update_id] = done
        return done

    def finish(self, update_id: int) -> None:
        self.running[update_id].set_result(True)

    async def stop(self, grace: float) -> None:
        for done in self.running.values():
            if not done.done():
                done.cancel()


async def _until(condition: Any) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 (conditions on several fakes)
            await asyncio.sleep(0.001)


async def test_a_lone_chat_costs_one_get_updates_per_update(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # however long the update takes (here: until the test finishes it)
    monkeypatch.setattr(polling, "QUICK_REPOLL_SECONDS", 60.0)
    bot, runner = FakeBot(), FakeRunner()
    poller = Poller(bot, runner, allowed_updates=["message"], timeout=10)  # type: ignore[arg-type]
    poller.start()
    try:
        await _until(lambda: len(bot.calls) == 1)
        for update_id in (1, 2, 3):
            bot.push(_update(update_id))
            await _until(lambda update_id=update_id: update_id in runner.running)
            calls = len(bot.calls)
            await asyncio.sleep(0.05)
            assert len(bot.calls) == calls  # not asked again while it is being handled
            runner.finish(update_id)
            await _until(lambda calls=calls: len(bot.calls) == calls + 1)
            # the next call confirms it and is the long poll for the next update
            assert bot.calls[-1]["offset"] == update_id + 1
            assert bot.calls[-1]["timeout"] == 10
        assert len(bot.calls) == 4
    finally:
        await poller.stop(grace=0)


async def test_other_chats_are_fetched_while_one_is_handled() -> None:
    bot, runner = FakeBot(), FakeRunner()
    poller = Poller(bot, runner, allowed_updates=["message"], timeout=10)  # type: ignore[arg-type]
    poller.start()
    try:
        bot.push(_update(1, chat=5))
        await _until(lambda: 1 in runner.running)
        bot.push(_update(2, chat=6))  # update 1 is still being handled
        await _until(lambda: 2 in runner.running)
        assert bot.calls[-1]["offset"] == 1  # 1 is not confirmed before it is handled
        assert bot.calls[-1]["timeout"] == 0
        runner.finish(2)
        runner.finish(1)
        await _until(lambda: bot.calls[-1].get("offset") == 3)
    finally:
        await poller.stop(grace=0)
