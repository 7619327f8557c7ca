"""Screens and replies into Bot API calls."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.core.callbacks import encode
from bot.core.screens import Screen
from bot.services.replies import Reply

log = logging.getLogger(__name__)


def markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=encode(b.callback)) for b in row]
            for row in screen.buttons
        ]
    )


def _not_modified(error: BadRequest) -> bool:
    return "message is not modified" in str(error).lower()


async def send(bot: Bot, chat_id: int, screen: Screen) -> Message:
    return await bot.send_message(
        chat_id, screen.text, parse_mode=ParseMode.HTML, reply_markup=markup(screen)
    )


async def edit(bot: Bot, chat_id: int, message_id: int, screen: Screen) -> None:
    try:
        await bot.edit_message_text(
            screen.text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(screen),
        )
    except BadRequest as error:
        if not _not_modified(error):
            raise


async def strip_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )
    except BadRequest as error:
        # Already without buttons, or deleted by the user: nothing to do.
        log.debug("strip_buttons.skipped", extra={"reason": type(error).__name__})


async def deliver(
    bot: Bot, chat_id: int, reply: Reply, tapped_message_id: int | None = None
) -> None:
    """Carry out a reply (the toast, if any, is answered by the callback handler)."""
    if reply.strip_buttons_of is not None and reply.strip_buttons_of != tapped_message_id:
        await strip_buttons(bot, chat_id, reply.strip_buttons_of)
    if reply.edit is not None:
        if tapped_message_id is not None:
            await edit(bot, chat_id, tapped_message_id, reply.edit)
        else:
            await send(bot, chat_id, reply.edit)
    elif reply.strip_buttons_of is not None and reply.strip_buttons_of == tapped_message_id:
        await strip_buttons(bot, chat_id, tapped_message_id)
    for screen in reply.send:
        await send(bot, chat_id, screen)
    for other_chat, screen in reply.notify:
        await send(bot, other_chat, screen)
