"""Injected faults and flood limits, as the bot would meet them."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import telegram
from emu_helpers import TOKEN, Api
from telegram.error import InvalidToken, TimedOut

from bot.sandbox.control import SandboxClient
from bot.sandbox.emulator import Emulator
from bot.sandbox.ratelimit import RateLimits


async def test_fail_next_429_with_retry_after(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    emu.faults.fail_next(2, status=429, method="sendMessage", retry_after=7)
    assert (await api("getMe")).status == 200  # other methods are untouched
    for _ in range(2):
        reply = await api("sendMessage", chat_id=user.id, text="x")
        assert reply.status == 429
        assert reply.body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    assert (await api("sendMessage", chat_id=user.id, text="x")).status == 200
    assert len(user.bot_messages) == 1


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
    ],
)
async def test_fail_next_statuses(api: Api, emu: Emulator, status: int, description: str) -> None:
    emu.faults.fail_next(1, status=status)
    reply = await api("getMe")
    assert (reply.status, reply.body["error_code"], reply.description) == (
        status,
        status,
        description,
    )
    assert (await api("getMe")).status == 200


async def test_method_names_in_faults_are_case_insensitive(api: Api, emu: Emulator) -> None:
    emu.faults.fail_next(1, status=500, method="GETME")
    assert (await api("getMe")).status == 500


async def test_delay(api: Api, emu: Emulator) -> None:
    emu.faults.delay_next(1, 0.3)
    started = time.monotonic()
    assert (await api("getMe")).status == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await api("getMe")
    assert time.monotonic() - started < 0.2


async def test_drop_connection(api: Api, emu: Emulator) -> None:
    emu.faults.drop_next(1)
    with pytest.raises(aiohttp.ClientError):
        await api("getMe")
    assert (await api("getMe")).status == 200
    assert emu.calls[0].description == "connection dropped"


async def _random_run(seed: int) -> list[int]:
    emu = Emulator(token=TOKEN)
    emu.faults.random(0.3, seed=seed, statuses=(500, 502))
    await emu.start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, emu)
            return [(await api("getMe")).status for _ in range(40)]
    finally:
        await emu.stop()


async def test_random_faults_are_reproducible() -> None:
    first, second, other = await _random_run(7), await _random_run(7), await _random_run(8)
    assert first == second
    assert first != other
    assert set(first) <= {200, 500, 502}
    assert 3 <= sum(s != 200 for s in first) <= 25


async def test_clear(api: Api, emu: Emulator) -> None:
    emu.faults.fail_next(3, status=500)
    emu.faults.clear()
    assert (await api("getMe")).status == 200


async def test_rate_limits_off_by_default(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    replies = await asyncio.gather(
        *(api("sendMessage", chat_id=user.id, text="x") for _ in range(20))
    )
    assert {r.status for r in replies} == {200}


async def test_rate_limits_per_chat_when_enabled() -> None:
    limits = RateLimits(per_chat_per_second=1.0, per_chat_burst=3, global_per_second=30)
    emu = Emulator(token=TOKEN, rate_limits=limits)
    await emu.start()
    try:
        ann, bob = emu.world.create_user(), emu.world.create_user()
        async with aiohttp.ClientSession() as session:
            api = Api(session, emu)
            statuses = [
                (await api("sendMessage", chat_id=ann.id, text="x")).status for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            limited = await api("sendMessage", chat_id=ann.id, text="x")
            assert limited.body["parameters"]["retry_after"] >= 1
            assert limited.description == (
                f"Too Many Requests: retry after {limited.body['parameters']['retry_after']}"
            )
            assert (await api("sendMessage", chat_id=bob.id, text="x")).status == 200
    finally:
        await emu.stop()


async def test_rate_limits_global_when_enabled() -> None:
    limits = RateLimits(
        per_chat_per_second=100, per_chat_burst=100, global_per_second=5, global_burst=5
    )
    emu = Emulator(token=TOKEN, rate_limits=limits)
    await emu.start()
    try:
        users = [emu.world.create_user() for _ in range(6)]
        async with aiohttp.ClientSession() as session:
            api = Api(session, emu)
            statuses = [(await api("sendMessage", chat_id=u.id, text="x")).status for u in users]
        assert statuses == [200] * 5 + [429]
    finally:
        await emu.stop()


@pytest.mark.parametrize(("status", "description"), [(401, "Unauthorized"), (404, "Not Found")])
async def test_get_updates_answers_like_a_revoked_token(
    api: Api, emu: Emulator, status: int, description: str
) -> None:
    emu.faults.fail_next(2, status=status, method="getUpdates")
    reply = await api("getUpdates", timeout=0)
    assert reply.body == {"ok": False, "error_code": status, "description": description}
    async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
        with pytest.raises(InvalidToken):
            await bot.get_updates(timeout=0)
        assert await bot.get_updates(timeout=0) == ()


async def test_slow_answer_after_the_message_is_sent(emu: Emulator) -> None:
    """Telegram may deliver a message and answer too late: the client times out, the
    patient has the message all the same. `apply_first` emulates that."""
    user = emu.world.create_user()
    emu.faults.delay_next(1, 1.0, method="sendMessage", apply_first=True)
    async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "Time for your exercises", read_timeout=0.2)
        assert time.monotonic() - started < 0.9
        assert [m.text for m in user.bot_messages] == ["Time for your exercises"]
        await asyncio.sleep(1.0)
        assert emu.calls[-1].status == 200  # answered, to nobody, after the delay
        assert (await bot.send_message(user.id, "next")).text == "next"


async def test_plain_delay_applies_the_call_after_waiting(emu: Emulator) -> None:
    user = emu.world.create_user()
    emu.faults.delay_next(1, 0.6, method="sendMessage")
    async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "late", read_timeout=0.2)
        assert user.bot_messages == []  # not yet: the call waits before it takes effect
        await asyncio.sleep(0.7)
        assert [m.text for m in user.bot_messages] == ["late"]


async def test_stop_does_not_wait_for_an_injected_delay() -> None:
    emu = Emulator(token=TOKEN)
    await emu.start()
    emu.faults.delay_next(1, 30, apply_first=True)
    async with aiohttp.ClientSession() as session:
        task = asyncio.create_task(Api(session, emu)("getMe"))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await emu.stop()
        assert time.monotonic() - started < 2
        assert (await task).status == 200


async def test_control_api_slow_answer_and_description(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    async with SandboxClient(emu.url) as ctl:
        await ctl.delay_next(1, 0.3, method="sendMessage", apply_first=True)
        await ctl.fail_next(1, status=400, method="getMe", description="Bad Request: odd")
    task = asyncio.create_task(api("sendMessage", chat_id=user.id, text="x"))
    await asyncio.sleep(0.1)
    assert [m.text for m in user.bot_messages] == ["x"] and not task.done()
    assert (await task).status == 200
    assert (await api("getMe")).description == "Bad Request: odd"
