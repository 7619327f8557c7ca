"""The real python-telegram-bot 22 client works against the emulator and sees Telegram's errors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
import telegram
from emu_helpers import png
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from bot.sandbox.emulator import Emulator


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


async def test_get_me_send_edit(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    me = await bot.get_me()
    assert me.is_bot
    assert me.username.endswith("bot")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    msg = await bot.send_message(user.id, "<b>Hi</b>", parse_mode="HTML", reply_markup=markup)
    assert msg.text == "Hi"
    assert msg.entities[0].type == "bold"
    assert msg.reply_markup == markup
    edited = await bot.edit_message_text("Bye", chat_id=user.id, message_id=msg.message_id)
    assert edited.text == "Bye"
    assert user.messages[0].edits == ["Hi"]
    assert user.messages[0].buttons == []


async def test_updates_and_callback(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    await bot.send_message(user.id, "Menu", reply_markup=markup)
    user.send_text("/start")
    user.tap("Go")
    updates = await bot.get_updates(timeout=1)
    assert updates[0].message.text == "/start"
    assert updates[1].callback_query.data == "go"
    assert await bot.answer_callback_query(updates[1].callback_query.id, text="ok")
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert emu.world.pending_updates == 0


async def test_send_photo_bytes(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    msg = await bot.send_photo(user.id, photo=png(), caption="pic")
    assert msg.caption == "pic"
    assert msg.photo


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_errors_surface_as_ptb_exceptions(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    emu.faults.fail_next(1, status=429, retry_after=3)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(user.id, "x")
    # the wording depends on PTB_TIMEDELTA; both say three seconds
    assert re.search(r"retry in (3 seconds|0:00:03)", str(retry.value).lower())
    user.block()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(user.id, "x")
    user.unblock()
    with pytest.raises(BadRequest) as bad:
        await bot.send_message(user.id, "x" * 4097)
    assert "message is too long" in str(bad.value).lower()
    sent = await bot.send_message(user.id, "same")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("same", chat_id=user.id, message_id=sent.message_id)


async def test_wrong_token_is_invalid_token(emu: Emulator) -> None:
    client = telegram.Bot("123456:WRONG", base_url=emu.base_url)
    with pytest.raises(InvalidToken):
        await client.get_me()
    await client.shutdown()


async def test_application_polling_round_trip(emu: Emulator) -> None:
    """PTB's own polling loop: deleteWebhook, long polls, cancel on stop, final offset confirm."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"echo: {update.message.text}")

    app = (
        Application.builder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    user = emu.world.create_user()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        user.send_text("one")
        await emu.world.wait_delivered(timeout=5)
        for _ in range(100):
            if user.bot_messages:
                break
            await asyncio.sleep(0.02)
        await app.updater.stop()
        await app.stop()
    assert [m.text for m in user.bot_messages] == ["echo: one"]
    methods = [c.method for c in emu.calls]
    assert methods[0:2] == ["getMe", "deleteWebhook"]
    assert "sendMessage" in methods
    assert emu.world.pending_updates == 0
    assert all(c.status in (200, 409) for c in emu.calls)
