"""The bare baseline of ``bench taps``: a minimal python-telegram-bot 22 bot, no database.

``/start`` sends a screen with a "Next" button; every tap is answered
(``answerCallbackQuery``) and the tapped message is edited to a new text with the same
keyboard, in that order, as our bot does. Updates come from PTB's default ``Updater``
(long polling, one update at a time: PTB's defaults). The step counter lives in
``chat_data`` (memory). The screen is about as long as one of our exercise screens and
in HTML too, so the emulator does about the same work for both bots.

Runs as its own process::

    python -m bot.bench.barebot --base-url http://127.0.0.1:8081/bot --token T \\
        --transport httpx|aiohttp
"""

from __future__ import annotations

import argparse
import logging
import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.telegram.transport import aiohttp_requests

NEXT = "Next"
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton(NEXT, callback_data="next")]])
TRANSPORTS = ("httpx", "aiohttp")
_BODY = (
    "Lie on your back with your knees bent and your feet flat on the floor. Tighten your "
    "belly a little, then slowly lift one foot a hand's width off the floor, hold for a "
    "breath, and put it down again. Keep your lower back still and breathe out as you lift."
)


def screen(step: int) -> str:
    return f"<b>Marching on your back</b>\nExercise 1 of 2 · step {step}\n\n{_BODY}"


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None or context.chat_data is None:
        return
    context.chat_data["step"] = 1
    await context.bot.send_message(
        chat.id, screen(1), parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )


async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or context.chat_data is None:
        return
    step = int(context.chat_data.get("step", 1)) + 1
    context.chat_data["step"] = step
    await query.answer()
    markup = query.message.reply_markup if isinstance(query.message, Message) else KEYBOARD
    await query.edit_message_text(screen(step), parse_mode=ParseMode.HTML, reply_markup=markup)


def build(token: str, base_url: str, transport: str) -> Application:  # type: ignore[type-arg]
    """PTB's defaults except the transport: ``httpx`` is PTB's own HTTPXRequest,
    ``aiohttp`` our AiohttpRequest (bot/telegram/transport.py)."""
    builder = ApplicationBuilder().token(token).base_url(base_url)
    if transport == "aiohttp":
        calls, updates = aiohttp_requests()
        builder = builder.request(calls).get_updates_request(updates)
    elif transport != "httpx":
        raise ValueError(f"transport must be one of {TRANSPORTS}")
    app = builder.build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_tap))
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.barebot", description=__doc__)
    parser.add_argument("--base-url", required=True, help="the Bot API base URL, ending /bot")
    parser.add_argument("--token", required=True)
    parser.add_argument("--transport", choices=TRANSPORTS, default="httpx")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    app = build(args.token, args.base_url, args.transport)
    # run_polling: PTB's Updater, stopped by SIGINT/SIGTERM
    app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])
    return 0


if __name__ == "__main__":
    sys.exit(main())
