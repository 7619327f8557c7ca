"""GET /_sandbox/events/wait: a long poll for "something happened since event N"."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from emu_helpers import Api

from bot.sandbox.control import SandboxClient
from bot.sandbox.emulator import Emulator

KB = {"inline_keyboard": [[{"text": "Next", "callback_data": "n"}]]}


async def test_answers_at_once_with_what_is_there(api: Api, emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        uid = (await ctl.create_user())["id"]
        await ctl.send_text(uid, "/start")
        await api("sendMessage", chat_id=uid, text="Step 1", reply_markup=KB)
        events, after = await ctl.wait_events(0, seconds=5)
        assert [e["kind"] for e in events] == ["user_command", "bot_message"]
        assert after == 2
        assert events[1]["buttons"] == [["Next"]] and events[1]["text"] == "Step 1"
        only, after = await ctl.wait_events(0, seconds=5, kinds=("bot_message",))
        assert [e["kind"] for e in only] == ["bot_message"] and after == 2


async def test_waits_for_the_next_event_and_filters_kinds(api: Api, emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        uid = (await ctl.create_user())["id"]
        await api("sendMessage", chat_id=uid, text="Step 1", reply_markup=KB)
        waiting = asyncio.create_task(ctl.wait_events(1, seconds=10, kinds=("bot_edit",)))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await ctl.tap(uid, "Next")  # a user_tap: not asked for, the wait goes on
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await api("editMessageText", chat_id=uid, message_id=1, text="Step 2", reply_markup=KB)
        events, after = await asyncio.wait_for(waiting, 5)
        assert [(e["kind"], e["text"], e["message_id"]) for e in events] == [
            ("bot_edit", "Step 2", 1)
        ]
        assert after == 3  # bot_message, user_tap, bot_edit


async def test_empty_after_the_timeout(emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        started = time.monotonic()
        assert await ctl.wait_events(0, seconds=0.2) == ([], 0)
        assert 0.15 <= time.monotonic() - started < 3
        assert await ctl.wait_events(0, seconds=0) == ([], 0)


async def test_stopping_the_emulator_ends_a_wait(emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        waiting = asyncio.create_task(ctl.wait_events(0, seconds=30))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        stopping = asyncio.create_task(emu.stop())
        assert await asyncio.wait_for(waiting, 5) == ([], 0)
        await stopping
        assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("since=-1", "since must be an integer within 0..0"),
        ("since=1", "since must be an integer within 0..0"),
        ("since=x", "since must be an integer within 0..0"),
        ("since=%201", "since must be an integer within 0..0"),
        ("timeout=61", "timeout must be within 0..60 seconds"),
        ("timeout=-1", "timeout must be within 0..60 seconds"),
        ("timeout=nan", "timeout must be within 0..60 seconds"),
        ("timeout=soon", "timeout must be a number of seconds"),
        ("kinds=", "kinds must be event kinds separated by commas, e.g. bot_edit"),
        (
            "kinds=bot_edit,,user_tap",
            "kinds must be event kinds separated by commas, e.g. bot_edit",
        ),
        ("kinds=Bot-Edit", "kinds must be event kinds separated by commas, e.g. bot_edit"),
        ("chat_id=5", "unknown parameter 'chat_id'"),
    ],
)
async def test_refuses_bad_queries(emu: Emulator, query: str, error: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emu.url}/_sandbox/events/wait?{query}") as resp,
    ):
        assert resp.status == 400
        assert await resp.json() == {"error": error}


async def test_events_since_filters_and_checks_bounds(emu: Emulator) -> None:
    user = emu.world.create_user()
    user.send_text("hi")
    assert emu.world.events_since(0, {"user_text"})[0].text == "hi"
    assert emu.world.events_since(1) == []
    with pytest.raises(ValueError, match=r"since must be within 0\.\.1"):
        emu.world.events_since(2)
