"""Screens and replies into Bot API calls, delivered as reliably as the content deserves.

- An edit is idempotent, so it is retried on network errors and timeouts; an edit Telegram
  refuses (the message was deleted, is too old, or is not a text message) falls back to a
  new message, so the patient always sees the new screen; so does an edit that keeps
  failing when the reply carries safety advice.
- A new message is retried on connection errors. After a timeout the message may well
  have arrived, so it is sent again only when the reply must arrive (safety advice): a
  duplicate advice is better than none.
- Other chats (``notify``) and stale keyboards are best effort: their failure never stops
  the patient's own reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.core.callbacks import encode
from bot.core.screens import Screen
from bot.services.replies import Reply

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_DELAYS = (0.5, 2.0)  # seconds before the 2nd and 3rd attempt


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


async def _with_retries(call: Callable[[], Awaitable[T]], *, retry_timeouts: bool) -> T:
    for delay in (*RETRY_DELAYS, None):
        try:
            return await call()
        except RetryAfter as error:  # the rate limiter already retried; one more wait
            if delay is None:
                raise
            retry = error.retry_after
            await asyncio.sleep(
                retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            )
        except TimedOut:
            if delay is None or not retry_timeouts:
                raise
            await asyncio.sleep(delay)
        except BadRequest:
            raise
        except NetworkError:
            if delay is None:
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def send(
    bot: Bot,
    chat_id: int,
    screen: Screen,
    *,
    must_arrive: bool = False,
    paid_broadcast: bool = False,
) -> Message:
    """A new message. ``paid_broadcast`` lifts Telegram's 30/s bulk limit to 1,000/s for a
    fee (reminders in very large deployments; PTB's rate limiter follows it)."""

    async def call() -> Message:
        return await bot.send_message(
            chat_id,
            screen.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(screen),
            allow_paid_broadcast=paid_broadcast or None,
        )

    return await _with_retries(call, retry_timeouts=must_arrive)


async def edit(bot: Bot, chat_id: int, message_id: int, screen: Screen) -> None:
    """Replace a message's text and buttons; BadRequest if Telegram refuses the edit."""

    async def call() -> None:
        try:
            await bot.edit_message_text(
                screen.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(screen),
            )
        except BadRequest as error:
            if not _not_modified(error):  # the same screen again (a retry that got through)
                raise

    await _with_retries(call, retry_timeouts=True)


async def strip_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Best effort: an old screen's buttons would only give "stale" answers."""
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )
    except (BadRequest, NetworkError) as error:
        # Already without buttons, deleted by the user, or Telegram is busy.
        log.debug("strip_buttons.skipped", extra={"reason": type(error).__name__})


async def deliver(
    bot: Bot, chat_id: int, reply: Reply, tapped_message_id: int | None = None
) -> None:
    """Carry out a reply (the toast, if any, is answered by the callback handler)."""
    must_arrive = bool(reply.advice_keys)
    if reply.strip_buttons_of is not None and reply.strip_buttons_of != tapped_message_id:
        await strip_buttons(bot, chat_id, reply.strip_buttons_of)
    if reply.edit is not None:
        if tapped_message_id is None:
            await send(bot, chat_id, reply.edit, must_arrive=must_arrive)
        else:
            try:
                await edit(bot, chat_id, tapped_message_id, reply.edit)
            except NetworkError as error:
                # Refused (BadRequest), or still failing after retries: a new message
                # instead, when Telegram refused the edit or the reply must arrive.
                if not isinstance(error, BadRequest) and not must_arrive:
                    raise
                log.info("edit.failed_sent_instead", extra={"error": type(error).__name__})
                await send(bot, chat_id, reply.edit, must_arrive=must_arrive)
    elif reply.strip_buttons_of is not None and reply.strip_buttons_of == tapped_message_id:
        await strip_buttons(bot, chat_id, tapped_message_id)
    for screen in reply.send:
        await send(bot, chat_id, screen, must_arrive=must_arrive)
    for other_chat, screen in reply.notify:
        try:
            await send(bot, other_chat, screen)
        except Exception as error:  # another chat's trouble never blocks this reply
            log.warning("notify.failed", extra={"error": type(error).__name__})
    for other_chat, message_id, text in reply.scrub:
        try:
            await edit(bot, other_chat, message_id, Screen(text))
        except Exception as error:  # deleted by the staff already, or Telegram refuses
            log.warning("scrub.failed", extra={"error": type(error).__name__})
