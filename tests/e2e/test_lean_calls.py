"""The lean call path (``bot/telegram/calls.post``: reminders, edits, tap answers) against
PTB's own methods, on both transports and the local Telegram: each call it serves leaves
the chat as PTB's would, and every fault comes back as the same PTB exception with the
same text, so the dispatcher and the handlers classify it the same way. The rate limiter
still sees each call, with its chat, and counts and retries its 429s."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.sandbox.emulator import Emulator
from bot.sandbox.models import ChatMessage
from bot.telegram import calls
from bot.telegram.ratelimit import ChatRateLimiter
from tests.e2e.test_transports import bot_for, make_request
from tests.sandbox.emu_helpers import png

TEXT = "<b>Time</b> for your back exercises ✓ — 10 min"
KEYBOARD = [[{"text": "Start ▶", "callback_data": "1:go:7"}]]
PTB_MARKUP = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
        for row in KEYBOARD
    ]
)
MARKUP = {"inline_keyboard": KEYBOARD}


@pytest.fixture
async def bot(emu: Emulator, transport: str) -> AsyncIterator[telegram.Bot]:
    async with bot_for(emu, make_request(transport, read_timeout=0.2)) as client:
        yield client


def shown(message: ChatMessage) -> tuple[object, ...]:
    """What the patient sees of a message."""
    media = message.media.file_id if message.media is not None else None
    return (message.text, message.entities, message.reply_markup, media)


def lean_send(bot: telegram.Bot, chat_id: int, text: str) -> Awaitable[Any]:
    values = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": ParseMode.HTML,  # an enum, as render.py passes it
        "reply_markup": MARKUP,
        "allow_paid_broadcast": None,  # left out, as PTB leaves out None
    }
    return calls.post(bot, "sendMessage", values)


def lean_edit(bot: telegram.Bot, chat_id: int, message_id: int, text: str) -> Awaitable[Any]:
    values = {
        "chat_id": chat_id,
        "message_id": message_id,
        "text": text,
        "parse_mode": ParseMode.HTML,
        "reply_markup": MARKUP,
    }
    return calls.post(bot, "editMessageText", values)


async def test_send_message(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    await bot.send_message(user.id, TEXT, parse_mode=ParseMode.HTML, reply_markup=PTB_MARKUP)
    result = await lean_send(bot, user.id, TEXT)
    by_ptb, by_lean = user.bot_messages[-2:]
    assert shown(by_lean) == shown(by_ptb)
    assert by_lean.text is not None and by_lean.text.startswith("Time for your back exercises ✓")
    assert by_lean.entities[0]["type"] == "bold"
    assert result["message_id"] == by_lean.message_id  # the Bot API's result, as JSON
    sent = [c.params for c in emu.calls if c.method == "sendMessage"]
    assert "allow_paid_broadcast" not in sent[-1]


async def test_edit_message_text(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    first = await bot.send_message(user.id, "step 1")
    second = await bot.send_message(user.id, "step 1")
    await bot.edit_message_text(
        TEXT, user.id, first.message_id, parse_mode=ParseMode.HTML, reply_markup=PTB_MARKUP
    )
    await lean_edit(bot, user.id, second.message_id, TEXT)
    by_ptb, by_lean = user.bot_messages[-2:]
    assert shown(by_lean) == shown(by_ptb)
    assert by_lean.text is not None and by_lean.text != "step 1"
    # the same screen again (a retry that got through): the same refusal both ways
    with pytest.raises(BadRequest) as ptb_again:
        await bot.edit_message_text(
            TEXT, user.id, first.message_id, parse_mode=ParseMode.HTML, reply_markup=PTB_MARKUP
        )
    with pytest.raises(BadRequest) as lean_again:
        await lean_edit(bot, user.id, second.message_id, TEXT)
    assert "message is not modified" in str(lean_again.value).lower()
    assert str(lean_again.value) == str(ptb_again.value)


async def test_edit_message_media_by_file_id(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    uploaded = await bot.send_photo(user.id, png(), caption="step 1")
    file_id = uploaded.photo[-1].file_id
    first = await bot.send_photo(user.id, file_id, caption="step 1")
    second = await bot.send_photo(user.id, file_id, caption="step 1")
    new_photo = (await bot.send_photo(user.id, png(16, 12))).photo[-1].file_id
    await bot.edit_message_media(
        InputMediaPhoto(new_photo, caption=TEXT, parse_mode=ParseMode.HTML),
        user.id,
        first.message_id,
        reply_markup=PTB_MARKUP,
    )
    media = {"type": "photo", "media": new_photo, "caption": TEXT, "parse_mode": ParseMode.HTML}
    values = {
        "chat_id": user.id,
        "message_id": second.message_id,
        "media": media,
        "reply_markup": MARKUP,
    }
    await calls.post(bot, "editMessageMedia", values)
    by_ptb = user.chat[first.message_id]
    by_lean = user.chat[second.message_id]
    assert shown(by_lean) == shown(by_ptb)
    assert by_lean.media is not None and by_lean.media.file_id != file_id  # the new picture


async def test_answer_callback_query(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    by_ptb, by_lean = emu.world.new_query(user.id), emu.world.new_query(user.id)
    await bot.answer_callback_query(by_ptb, text="Saved ✓")
    values = {"callback_query_id": by_lean, "text": "Saved ✓"}
    assert await calls.post(bot, "answerCallbackQuery", values) is True
    assert user.toasts[-2:] == ["Saved ✓", "Saved ✓"]
    # answered already: the same refusal both ways
    with pytest.raises(BadRequest) as ptb_again:
        await bot.answer_callback_query(by_ptb)
    with pytest.raises(BadRequest) as lean_again:
        await calls.post(bot, "answerCallbackQuery", {"callback_query_id": by_lean})
    assert str(lean_again.value) == str(ptb_again.value)


Fault = Callable[[Emulator, str], object]

FAULTS: dict[str, Fault] = {
    "400": lambda emu, method: emu.faults.fail_next(
        1, status=400, method=method, description="Bad Request: chat not found"
    ),
    "403": lambda emu, method: emu.faults.fail_next(
        1, status=403, method=method, description="Forbidden: bot was blocked by the user"
    ),
    "429": lambda emu, method: emu.faults.fail_next(1, status=429, method=method, retry_after=9),
    "500": lambda emu, method: emu.faults.fail_next(1, status=500, method=method),
    "502": lambda emu, method: emu.faults.fail_next(1, status=502, method=method),
    "dropped": lambda emu, method: emu.faults.drop_next(1, method=method),
    "timeout": lambda emu, method: emu.faults.delay_next(1, 0.5, method=method),
}


async def _raised(call: Awaitable[Any]) -> BaseException:
    try:
        await call
    except Exception as error:  # what the caller would classify
        return error
    raise AssertionError("the fault did not fail the call")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.parametrize("method", ["sendMessage", "editMessageText"])
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_each_fault_is_the_same_ptb_error(
    bot: telegram.Bot, emu: Emulator, fault: str, method: str
) -> None:
    user = emu.world.create_user()
    shown_once = await bot.send_message(user.id, "step 1")

    def ptb_call() -> Awaitable[Any]:
        if method == "sendMessage":
            return bot.send_message(user.id, "x", parse_mode=ParseMode.HTML)
        return bot.edit_message_text("x", user.id, shown_once.message_id)

    def lean_call() -> Awaitable[Any]:
        if method == "sendMessage":
            return lean_send(bot, user.id, "x")
        return lean_edit(bot, user.id, shown_once.message_id, "y")

    FAULTS[fault](emu, method)
    by_ptb = await _raised(ptb_call())
    FAULTS[fault](emu, method)
    by_lean = await _raised(lean_call())
    assert type(by_lean) is type(by_ptb), (by_ptb, by_lean)
    assert str(by_lean) == str(by_ptb)
    if isinstance(by_ptb, telegram.error.RetryAfter):
        assert by_lean.retry_after == by_ptb.retry_after  # type: ignore[attr-defined]


async def test_get_updates_is_not_for_the_lean_path() -> None:
    """getUpdates has a request object of its own and skips the limiter."""
    with pytest.raises(ValueError, match="getUpdates"):
        await calls.post(telegram.Bot("1:X"), "getUpdates", {})


async def test_the_rate_limiter_sees_the_chat_counts_and_retries(emu: Emulator) -> None:
    """Through an ExtBot with our limiter: the send is paced in its chat's bucket, a 429 is
    waited out and retried by the limiter (one more call reaches the server), and each
    failed attempt is counted."""
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
        await lean_send(bot, user.id, "after the wait")
    assert list(limiter._chats) == [user.id]  # the chat's own bucket was taken
    assert failures == [("sendMessage", "RetryAfter")]
    statuses = [c.status for c in emu.calls if c.method == "sendMessage"]
    assert statuses == [429, 200]
    assert user.bot_messages[-1].text == "after the wait"
