"""``bot/telegram/calls.post`` (reminders, edits, tap answers) against PTB's own methods, on
both transports and the local Telegram: the same message reaches the chat, and every fault
comes back as the same PTB exception with the same text, so the dispatcher and the
handlers classify it the same way. The rate limiter still sees (and counts) each call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.sandbox.emulator import Emulator
from bot.telegram import calls
from bot.telegram.ratelimit import ChatRateLimiter
from tests.e2e.test_transports import TRANSPORTS, bot_for, make_request

TEXT = "<b>Time</b> for your back exercises ✓ — 10 min"
KEYBOARD = [[{"text": "Start ▶", "callback_data": "1:go:7"}]]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: Emulator, transport: str) -> AsyncIterator[telegram.Bot]:
    async with bot_for(emu, make_request(transport, read_timeout=0.2)) as client:
        yield client


def ptb_send(bot: telegram.Bot, chat_id: int, text: str) -> Awaitable[Any]:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in KEYBOARD
        ]
    )
    return bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)


def short_send(bot: telegram.Bot, chat_id: int, text: str) -> Awaitable[Any]:
    values = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": KEYBOARD},
        "allow_paid_broadcast": None,  # left out, as PTB leaves out None
    }
    return calls.post(bot, "sendMessage", values)


async def test_the_chat_gets_the_same_message(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    await ptb_send(bot, user.id, TEXT)
    result = await short_send(bot, user.id, TEXT)
    by_ptb, by_short = user.bot_messages[-2:]
    assert (by_short.text, by_short.entities, by_short.reply_markup) == (
        by_ptb.text,
        by_ptb.entities,
        by_ptb.reply_markup,
    )
    assert by_short.text.startswith("Time for your back exercises ✓")
    assert result["message_id"] == by_short.message_id  # the Bot API's result, as JSON
    sent = [c.params for c in emu.calls if c.method == "sendMessage"]
    assert "allow_paid_broadcast" not in sent[-1]


Fault = Callable[[Emulator, int], object]

FAULTS: dict[str, Fault] = {
    "400": lambda emu, _: emu.faults.fail_next(
        1, status=400, method="sendMessage", description="Bad Request: chat not found"
    ),
    "403": lambda emu, user: emu.world.users[user].block(),
    "429": lambda emu, _: emu.faults.fail_next(1, status=429, method="sendMessage", retry_after=9),
    "500": lambda emu, _: emu.faults.fail_next(1, status=500, method="sendMessage"),
    "502": lambda emu, _: emu.faults.fail_next(1, status=502, method="sendMessage"),
    "dropped": lambda emu, _: emu.faults.drop_next(1, method="sendMessage"),
    "timeout": lambda emu, _: emu.faults.delay_next(1, 0.5, method="sendMessage"),
}


async def _raised(call: Awaitable[Any]) -> BaseException:
    try:
        await call
    except Exception as error:  # what the caller would classify
        return error
    raise AssertionError("the fault did not fail the call")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_each_fault_is_the_same_ptb_error(
    bot: telegram.Bot, emu: Emulator, fault: str
) -> None:
    user = emu.world.create_user()
    FAULTS[fault](emu, user.id)
    by_ptb = await _raised(ptb_send(bot, user.id, "x"))
    if fault == "403":
        pass  # the block stays
    else:
        FAULTS[fault](emu, user.id)
    by_short = await _raised(short_send(bot, user.id, "x"))
    assert type(by_short) is type(by_ptb), (by_ptb, by_short)
    assert str(by_short) == str(by_ptb)
    if isinstance(by_ptb, telegram.error.RetryAfter):
        assert by_short.retry_after == by_ptb.retry_after  # type: ignore[attr-defined]


async def test_the_rate_limiter_counts_and_retries_short_calls(emu: Emulator) -> None:
    """Through an ExtBot with our limiter: a 429 is waited out and retried by the limiter
    (one more call reaches the server), and each failed attempt is counted."""
    user = emu.world.create_user()
    failures: list[tuple[str, str]] = []
    limiter = ChatRateLimiter(
        overall_max_rate=30,
        per_chat_rate=1,
        max_retries=1,
        on_error=lambda method, error: failures.append((method, type(error).__name__)),
    )
    request = make_request("aiohttp")
    async with ExtBot(
        emu.token,
        base_url=emu.base_url,
        base_file_url=emu.base_file_url,
        request=request,
        get_updates_request=request,
        rate_limiter=limiter,
    ) as bot:
        emu.faults.fail_next(1, status=429, method="sendMessage", retry_after=1)
        await short_send(bot, user.id, "after the wait")
    assert failures == [("sendMessage", "RetryAfter")]
    statuses = [c.status for c in emu.calls if c.method == "sendMessage"]
    assert statuses == [429, 200]
    assert user.bot_messages[-1].text == "after the wait"
